/**
 * The config detector: what the files say (catalogue source "config"). Pure over the resolution
 * plus the injected FileView (nvidia config.toml, AppArmor profiles). Returns drafts; severity and
 * remediation come from the catalogue (src/findings/catalogue.ts).
 */
import type { Provenance } from '../../core/contracts.js';
import type { FileView } from '../../core/file-view.js';
import { describeSource } from '../../config/describe.js';
import type { Resolution } from '../../config/resolution.js';
import { NVIDIA_RUNTIME_CONFIG, isNvidiaHandler, readWrapperConfig, resolveWrapperBinary, runtimeFamily, type WrapperConfig } from '../../config/nvidia.js';
import { isTable } from '../../config/schema.js';
import { parseToml } from '../../config/toml.js';
import { scanKeyLines, lineOf } from '../../config/toml-lines.js';
import { APPARMOR_DIR } from '../../config/watch-paths.js';
import { makeDraft, type FindingDraft } from '../types.js';
const CONFINED_RUNC = '/usr/sbin/runc';
const MAX_PROFILES = 500;

/** Config findings name the file they are about. */
const draft = (id: string, summary: string, evidence: string[], params: Record<string, string | undefined>, file?: string): FindingDraft =>
  makeDraft(id, summary, evidence, params, file ? { file } : undefined);

const fileOf = (src: Provenance): string | undefined => ('file' in src ? src.file : undefined);

export interface ConfigFindings {
  drafts: FindingDraft[];
  lowLevelRuntime: { wrapper: string; binary: string | null } | null;
  wrapperConfig: WrapperConfig | null;
}

/** An AppArmor profile for /usr/sbin/runc under the root: file and 1-based line. */
export function findRuncProfile(view: FileView): { file: string; line: number | null } | null {
  try {
    const direct = `${APPARMOR_DIR}/runc`;
    if (view.stat(direct)?.kind === 'file') {
      let line: number | null = null;
      try {
        const idx = view.readFile(direct, 1024 * 1024).toString('utf8').split('\n').findIndex((l) => l.includes(CONFINED_RUNC));
        line = idx < 0 ? null : idx + 1;
      } catch {
        line = null;
      }
      return { file: direct, line };
    }
    if (view.stat(APPARMOR_DIR)?.kind !== 'dir') return null;
    const names = view.readdirRaw(APPARMOR_DIR).sort(Buffer.compare).slice(0, MAX_PROFILES);
    for (const raw of names) {
      const p = `${APPARMOR_DIR}/${raw.toString('utf8')}`;
      const st = view.stat(p);
      if (st?.kind !== 'file' || st.size > 1024 * 1024) continue;
      let text: string;
      try {
        text = view.readFile(p, 1024 * 1024).toString('utf8');
      } catch {
        continue;
      }
      const lines = text.split('\n');
      const idx = lines.findIndex((l) => /^\s*profile\s/.test(l) && l.includes(CONFINED_RUNC));
      const any = idx >= 0 ? idx : lines.findIndex((l) => !l.trim().startsWith('#') && l.includes(CONFINED_RUNC));
      if (any >= 0) return { file: p, line: any + 1 };
    }
  } catch {
    return null;
  }
  return null;
}

/** NVIDIA handler tables (and a default_runtime) in a file CRI-O never reads. */
function nvidiaInText(text: string): { tables: { name: string; line: number | null }[]; defaultLine: { value: string; line: number | null } | null } {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text);
  } catch {
    return { tables: /nvidia/i.test(text) ? [{ name: 'nvidia', line: null }] : [], defaultLine: null };
  }
  const lines = scanKeyLines(text);
  const crio = isTable(doc.crio) ? doc.crio : {};
  const runtime = isTable(crio.runtime) ? crio.runtime : {};
  const runtimes = isTable(runtime.runtimes) ? runtime.runtimes : {};
  const tables = Object.entries(runtimes)
    .filter(([name, h]) => isNvidiaHandler(name, isTable(h) && typeof h.runtime_path === 'string' ? h.runtime_path : ''))
    .map(([name]) => ({ name, line: lineOf(lines, ['crio', 'runtime', 'runtimes', name]) }));
  const dr = typeof runtime.default_runtime === 'string' ? { value: runtime.default_runtime, line: lineOf(lines, ['crio', 'runtime', 'default_runtime']) } : null;
  return { tables, defaultLine: dr };
}

/**
 * Which low-level runtime the NVIDIA wrapper really runs (its config.toml `runtimes`, first existing
 * executable): for the default handler when it is the wrapper, else the first NVIDIA handler. Null
 * when no valid NVIDIA handler exists or the config does not resolve.
 */
export function wrapperResolution(r: Resolution, view: FileView): { lowLevelRuntime: { wrapper: string; binary: string | null }; config: WrapperConfig } | null {
  const nvidiaHandlers = [...r.validated.values()].filter((v) => !v.dropped && v.view.isNvidia);
  if (nvidiaHandlers.length === 0 || r.fatal) return null;
  const config = readWrapperConfig(view);
  const binary = resolveWrapperBinary(view, config);
  const def = r.defaultRuntime ? r.validated.get(r.defaultRuntime.name) : undefined;
  const wrapperH = def && def.view.isNvidia ? def : nvidiaHandlers[0]!;
  return { lowLevelRuntime: { wrapper: wrapperH.view.runtimePath, binary }, config };
}

/** The `lowLevelRuntime` of the check JSON contract. */
export function lowLevelRuntime(r: Resolution, view: FileView): { wrapper: string; binary: string | null } | null {
  return wrapperResolution(r, view)?.lowLevelRuntime ?? null;
}

export function detectConfig(r: Resolution, view: FileView): ConfigFindings {
  const out: FindingDraft[] = [];
  const dir = r.configDir || '/etc/crio/crio.conf.d';

  // ---- fatal load errors
  if (r.fatal) {
    const fe = r.fatal;
    const where = fe.path ? `file ${fe.path}${fe.line !== null ? ` line ${fe.line}` : ''}${fe.column !== null ? ` column ${fe.column}` : ''}` : 'command line';
    const notApplied = r.files.filter((f) => f.status === 'ignored' && f.error?.startsWith('not applied')).map((f) => f.path);
    const evidence = [`${where}: ${fe.detail}`, `CRI-O fails with: ${fe.message}`];
    if (notApplied.length) evidence.push(`not applied after it: ${notApplied.join(', ')}`);
    let summary: string;
    switch (fe.kind) {
      case 'not-regular':
        summary = `${fe.path} in the CRI-O config is not a regular file: CRI-O will not start`;
        break;
      case 'oversize':
        summary = `${fe.path} is too large to be a CRI-O config file`;
        break;
      case 'unreadable':
        summary = `${fe.path} cannot be read`;
        break;
      case 'missing-main':
        summary = `The main config file ${fe.path} set by --config/CONTAINER_CONFIG does not exist: CRI-O will not start`;
        break;
      case 'flag':
        summary = `A CRI-O flag or environment variable is malformed: CRI-O will not start`;
        break;
      case 'walk':
        summary = `${fe.path} cannot be walked in ${dir}/: CRI-O will not start`;
        break;
      default:
        summary = `${fe.path} does not parse${fe.line !== null ? ` (line ${fe.line})` : ''}: CRI-O will not start or reload`;
    }
    // a crio-sentinel bound (entries, bytes, devices): no answer rather than a wrong one
    if (fe.kind === 'limit') out.push(draft('config-not-evaluated', `crio-sentinel did not evaluate the CRI-O configuration: ${fe.detail}`, [`${where}: ${fe.detail}`], { detail: fe.detail, file: fe.path ?? undefined, dir }, fe.path ?? undefined));
    else out.push(draft('config-parse-error', summary, evidence, { kind: fe.kind, file: fe.path ?? undefined, line: fe.line !== null ? String(fe.line) : undefined, dir }, fe.path ?? undefined));
  }

  // ---- stray drop-in entries
  for (const s of r.strays) {
    out.push(
      draft('stray-dropin-file', `${s.path} looks unintended but CRI-O applies it as a drop-in`, [`${s.path}: ${s.reason}`], { file: s.path, dir }, s.path),
    );
  }

  // ---- undefined default
  if (r.configError) {
    const x = r.configured.name;
    const tables = [...r.handlers.entries()].map(([n, h]) => `${n} (${describeSource(r, h.source)})`);
    const evidence = [`default_runtime = "${x}" from ${describeSource(r, r.configured.source)}`, `runtime tables defined: ${tables.join('; ') || 'none'}`];
    const elsewhere = r.ignored.filter((i) => i.text && nvidiaInText(i.text).tables.some((t) => t.name === x));
    for (const e of elsewhere) evidence.push(`[crio.runtime.runtimes.${x}] exists only in ${e.path}, which CRI-O never reads (${e.reason})`);
    out.push(
      draft(
        'default-runtime-undefined',
        `default_runtime names "${x}" but no [crio.runtime.runtimes.${x}] table exists: CRI-O will not start`,
        evidence,
        { handler: x, where: describeSource(r, r.configured.source) },
        fileOf(r.configured.source),
      ),
    );
  }

  // ---- handler validation
  for (const v of r.validated.values()) {
    if (!v.error) continue;
    const isDefault = v.name === r.defaultRuntime?.name;
    const evidence = [`[crio.runtime.runtimes.${v.name}] from ${describeSource(r, v.source)}`, isDefault ? `CRI-O fails with: runtime validation: ${v.error}` : `CRI-O logs: Runtime handler "${v.name}" is being ignored due to: ${v.error}`];
    const rp = typeof v.fields.runtime_path === 'string' && v.fields.runtime_path ? v.fields.runtime_path : null;
    const what = rp ? `runtime_path ${rp}` : `"${v.name}" on CRI-O's PATH (${r.path.join(':')})`;
    if (isDefault) {
      out.push(
        draft(
          'default-runtime-binary-missing',
          `The default runtime "${v.name}" is invalid (${what}): CRI-O will not start`,
          evidence,
          { handler: v.name, where: describeSource(r, v.source) },
          fileOf(v.source),
        ),
      );
    } else {
      const dropped = draft(
        'runtime-binary-missing',
        `Runtime handler "${v.name}" is invalid (${what}): CRI-O drops it`,
        evidence,
        { handler: v.name, where: describeSource(r, v.source) },
        fileOf(v.source),
      );
      dropped.subject = { ...dropped.subject, handler: v.name };
      out.push(dropped);
    }
  }

  // ---- nvidia default
  const def = r.defaultRuntime ? r.validated.get(r.defaultRuntime.name) : undefined;
  const nvidiaIsDefault = def !== undefined && def.view.isNvidia;
  if (def && nvidiaIsDefault && r.defaultRuntime) {
    out.push(
      draft(
        'nvidia-default-runtime',
        `The NVIDIA wrapper "${def.name}" is CRI-O's default runtime: every pod without a RuntimeClass is run, stopped and exec'd through it`,
        [`default_runtime = "${def.name}" from ${describeSource(r, r.defaultRuntime.source)}`, `[crio.runtime.runtimes.${def.name}] runtime_path ${def.view.runtimePath || '(PATH lookup)'} from ${describeSource(r, def.source)}`],
        { handler: def.name, file: fileOf(r.defaultRuntime.source) ?? describeSource(r, r.defaultRuntime.source) },
        fileOf(r.defaultRuntime.source),
      ),
    );
  }

  // ---- runc deleted (1.24.x / 1.25.0)
  if (r.runcDeletions.length > 0 && !r.handlers.has('runc')) {
    out.push(
      draft(
        'runc-handler-deleted',
        `CRI-O ${r.crioVersion ?? ''} deletes the runc handler because a file sets another default_runtime`.replace('  ', ' '),
        r.runcDeletions.map((d) => `file ${d.file}${d.line !== null ? ` line ${d.line}` : ''} sets default_runtime ≠ "runc": runc deleted after this file`),
        {},
        r.runcDeletions[0]?.file,
      ),
    );
  }

  // ---- nvidia drop-ins CRI-O never reads
  for (const ig of r.ignored) {
    if (!ig.text) continue;
    const nv = nvidiaInText(ig.text);
    if (nv.tables.length === 0) continue;
    const evidence = nv.tables.map((t) => `file ${ig.path}${t.line !== null ? ` line ${t.line}` : ''}: [crio.runtime.runtimes.${t.name}]`);
    if (nv.defaultLine) evidence.push(`file ${ig.path}${nv.defaultLine.line !== null ? ` line ${nv.defaultLine.line}` : ''}: default_runtime = "${nv.defaultLine.value}"`);
    evidence.push(`not read: ${ig.reason}`);
    const wrongDir = ig.path.startsWith('/etc/crio/conf.d/');
    const target = `${r.configDir || '/etc/crio/crio.conf.d'}/${ig.path.slice(ig.path.lastIndexOf('/') + 1)}`;
    out.push(
      draft(
        'nvidia-dropin-ignored',
        `NVIDIA runtime config ${ig.path} is in a place CRI-O never reads`,
        evidence,
        { file: ig.path, wrongDir: String(wrongDir), target, reason: ig.reason, defaultValue: nv.defaultLine?.value },
        ig.path,
      ),
    );
  }

  // ---- NVIDIA wrapper: low-level runtime, AppArmor, runtime_root
  const nvidiaHandlers = [...r.validated.values()].filter((v) => !v.dropped && v.view.isNvidia);
  const wrapper = wrapperResolution(r, view);
  const lowLevelRuntime = wrapper?.lowLevelRuntime ?? null;
  const wrapperConfig: WrapperConfig | null = wrapper?.config ?? null;
  if (wrapper && wrapperConfig) {
    const binary = wrapper.lowLevelRuntime.binary;
    const cfgEvidence = wrapperConfig.defaulted
      ? `${NVIDIA_RUNTIME_CONFIG}${wrapperConfig.file ? ' has no [nvidia-container-runtime] runtimes' : ' is absent'}: toolkit default runtimes = ["runc", "crun"] assumed (toolkit ≥ 1.18)${wrapperConfig.error ? ` (${wrapperConfig.error})` : ''}`
      : `file ${NVIDIA_RUNTIME_CONFIG}${wrapperConfig.line !== null ? ` line ${wrapperConfig.line}` : ''}: runtimes = ${JSON.stringify(wrapperConfig.runtimes)}`;
    const resolvedEvidence = binary ? `the wrapper runs ${binary} (first existing executable of runtimes; bare names searched on ${r.path.join(':')})` : `no entry of runtimes is an existing executable under the root: the wrapper cannot run any container command`;

    if (nvidiaIsDefault && def && !r.configError) {
      // the runtime that created the running containers: the previous, non-NVIDIA default
      const idx = r.defaultHistory.findIndex((h) => h === r.defaultRuntime);
      const before = (idx >= 0 ? r.defaultHistory.slice(0, idx) : r.defaultHistory).filter((h) => !isNvidiaHandler(h.name, '') && h.name !== '');
      const prevName = before.length ? (before[before.length - 1] as (typeof before)[number]).name : r.rules.builtinDefault;
      const prev = r.validated.get(prevName);
      const creatorPath = prev?.view.runtimePath || null;
      const creatorFam = runtimeFamily(creatorPath) ?? runtimeFamily(prevName);
      const wrapperFam = runtimeFamily(binary);
      const rootFam = runtimeFamily(def.view.runtimeRoot);
      const problems: string[] = [];
      if (!binary) problems.push(resolvedEvidence);
      if (binary && wrapperFam && creatorFam && wrapperFam !== creatorFam) {
        problems.push(`containers created under the previous default "${prevName}" (${creatorPath ?? prevName}, state in ${prev?.view.runtimeRoot ?? '?'}) will be driven by ${binary} (${wrapperFam}): ${creatorFam} → ${wrapperFam}`);
      }
      if (prev && prev.view.runtimeRoot !== def.view.runtimeRoot) {
        problems.push(`CRI-O calls the wrapper with --root ${def.view.runtimeRoot}, but containers created under "${prevName}" keep their state in ${prev.view.runtimeRoot}: stop, kill and exec of those containers cannot find them`);
      }
      if (binary && wrapperFam && rootFam && wrapperFam !== rootFam) {
        problems.push(`${def.name} runtime_root is ${def.view.runtimeRoot}${typeof def.fields.runtime_root === 'string' && def.fields.runtime_root ? '' : ` (not set: CRI-O ${r.rules.builtinDefault === 'crun' ? '≥ 1.31' : '≤ 1.30'} default)`}, ${rootFam}'s state dir, but the wrapper runs ${wrapperFam}`);
      }
      if (problems.length > 0) {
        const creatorBin = creatorPath && creatorFam ? creatorPath : prevName;
        out.push(
          draft(
            'low-level-runtime-mismatch',
            `The NVIDIA wrapper "${def.name}" drives ${binary ?? 'no runtime at all'}, not the ${creatorFam ?? prevName} that created the running containers`,
            [...problems, cfgEvidence, resolvedEvidence, `default_runtime = "${def.name}" from ${describeSource(r, r.defaultRuntime!.source)}`],
            { creator: creatorBin, root: prev?.view.runtimeRoot ?? r.rules.defaultRuntimeRoot, handler: def.name },
            NVIDIA_RUNTIME_CONFIG,
          ),
        );
      }
    }

    if (binary === '/usr/sbin/runc') {
      const profile = findRuncProfile(view);
      if (profile) {
        const old = r.rules.version !== null && !r.rules.apparmorAcceptsRuncSignals;
        out.push(
          draft(
            'apparmor-confined-runc',
            `The NVIDIA wrapper forwards to AppArmor-confined /usr/sbin/runc${old ? `: CRI-O ${r.crioVersion}'s crio-default profile denies its signals, so stops hang` : ''}`,
            [
              `AppArmor profile for /usr/sbin/runc: file ${profile.file}${profile.line !== null ? ` line ${profile.line}` : ''}`,
              cfgEvidence,
              resolvedEvidence,
              `CRI-O version: ${r.crioVersion ?? 'unknown (assumed ≥ 1.31)'}`,
            ],
            { signalsDenied: String(old) },
            profile.file,
          ),
        );
      }
    }

    for (const h of nvidiaHandlers) {
      const configured = typeof h.fields.runtime_root === 'string' ? h.fields.runtime_root : '';
      if (configured !== '') continue;
      out.push(
        draft(
          'nvidia-handler-without-runtime-root',
          `NVIDIA handler "${h.name}" has no runtime_root: it uses CRI-O's default ${h.view.runtimeRoot}`,
          [`[crio.runtime.runtimes.${h.name}] from ${describeSource(r, h.source)} sets no runtime_root`, `effective runtime_root ${h.view.runtimeRoot} (CRI-O ${r.rules.builtinDefault === 'crun' ? '≥ 1.31' : '≤ 1.30'} default)`, resolvedEvidence],
          { handler: h.name, binary: binary ?? undefined, family: runtimeFamily(binary) ?? undefined },
          fileOf(h.source),
        ),
      );
    }
  }

  // ---- CLI/env overrides lost on SIGHUP
  // CRI-O < 1.26 does not reload runtimes on SIGHUP at all, so nothing is lost there
  if (r.cliDefault && !r.fatal && r.rules.reloadsRuntimes && r.cliDefault.value !== r.filesDefault.name) {
    out.push(
      draft(
        'cli-override-lost-on-reload',
        `${r.cliDefault.flag} sets the default runtime to "${r.cliDefault.value}" but the files say "${r.filesDefault.name}"`,
        [`${r.cliDefault.flag}=${r.cliDefault.value}`, `files: default_runtime "${r.filesDefault.name}" from ${describeSource(r, r.filesDefault.source)}`],
        { what: 'default', filesDefault: r.filesDefault.name, value: r.cliDefault.value },
      ),
    );
  }
  if (r.cliRuntimes && !r.fatal && r.rules.reloadsRuntimes) {
    out.push(
      draft(
        'cli-override-lost-on-reload',
        `${r.cliRuntimes.flag} defines runtime handlers ${r.cliRuntimes.names.join(', ')} that a reload drops`,
        [`${r.cliRuntimes.flag}: ${r.cliRuntimes.names.join(', ')}`],
        { what: 'runtimes', flag: r.cliRuntimes.flag },
      ),
    );
  }

  // ---- CRI-O would not start for a reason no finding above names (e.g. an empty workload table):
  // never exit 0 while CRI-O fails
  const explained = new Set(['config-parse-error', 'config-not-evaluated', 'default-runtime-undefined', 'default-runtime-binary-missing']);
  if (!r.crioWouldStart && r.startError && !r.fatal && !out.some((d) => explained.has(d.id))) {
    out.push(draft('crio-config-rejected', `CRI-O rejects the configuration at start: ${r.startError}`, [`CRI-O fails with: ${r.startError}`], { error: r.startError }));
  }

  return { drafts: out, lowLevelRuntime, wrapperConfig };
}
