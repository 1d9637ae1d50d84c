/**
 * Static findings from the files (runtime-failure-mechanisms.md §8, origin "config").
 * Pure over the resolution plus the injected FileView (nvidia config.toml, AppArmor profiles).
 */
import * as TOML from '@iarna/toml';
import type { FileView, Finding, Severity } from '../../core/types.js';
import { describeSource } from '../../config/describe.js';
import type { Resolution } from '../../config/resolution.js';
import { NVIDIA_RUNTIME_CONFIG, isNvidiaHandler, readWrapperConfig, resolveWrapperBinary, runtimeFamily, type WrapperConfig } from '../../config/nvidia.js';
import { isTable } from '../../config/schema.js';
import { scanKeyLines, lineOf } from '../../config/toml-lines.js';
import { APPARMOR_DIR } from '../../config/watch-paths.js';
const CONFINED_RUNC = '/usr/sbin/runc';
const MAX_PROFILES = 500;

function finding(id: string, severity: Severity, summary: string, evidence: string[], remediation: string, file?: string): Finding {
  const f: Finding = { id, severity, summary, evidence, remediation };
  if (file) f.subject = { file };
  return f;
}

export interface ConfigFindings {
  findings: Finding[];
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
    doc = TOML.parse(text) as Record<string, unknown>;
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

export function computeFindings(r: Resolution, view: FileView): ConfigFindings {
  const out: Finding[] = [];
  const dir = r.configDir || '/etc/crio/crio.conf.d';

  // ---- fatal load errors
  if (r.fatal) {
    const fe = r.fatal;
    const where = fe.path ? `file ${fe.path}${fe.line !== null ? ` line ${fe.line}` : ''}${fe.column !== null ? ` column ${fe.column}` : ''}` : 'command line';
    const notApplied = r.files.filter((f) => f.status === 'ignored' && f.error?.startsWith('not applied')).map((f) => f.path);
    const evidence = [`${where}: ${fe.detail}`, `CRI-O fails with: ${fe.message}`];
    if (notApplied.length) evidence.push(`not applied after it: ${notApplied.join(', ')}`);
    let summary: string;
    let remediation: string;
    switch (fe.kind) {
      case 'not-regular':
        summary = `${fe.path} in the CRI-O config is not a regular file: CRI-O will not start`;
        remediation = `Remove ${fe.path}. CRI-O reads every non-directory entry of ${dir}/ as a TOML file; a FIFO makes it block forever at startup, a socket or device makes it fail.`;
        break;
      case 'oversize':
        summary = `${fe.path} is too large to be a CRI-O config file`;
        remediation = `Move ${fe.path} out of ${dir}/. CRI-O parses every non-directory entry there, whatever its name, and one bad file blocks startup and reload.`;
        break;
      case 'unreadable':
        summary = `${fe.path} cannot be read`;
        remediation = `Check ${fe.path} (owner, mode, name). crio-sentinel could not read it, so the effective configuration is unknown; if it is not meant to be a CRI-O config, move it out of ${dir}/.`;
        break;
      case 'missing-main':
        summary = `The main config file ${fe.path} set by --config/CONTAINER_CONFIG does not exist: CRI-O will not start`;
        remediation = `Create ${fe.path} or fix the --config flag / CONTAINER_CONFIG variable in the CRI-O unit or its environment file.`;
        break;
      case 'flag':
        summary = `A CRI-O flag or environment variable is malformed: CRI-O will not start`;
        remediation = `Fix the value (format name:path:root:type[:privileged_without_host_devices[:runtime_config_path[:container_min_memory]]]), or move the runtime into a drop-in table.`;
        break;
      default:
        summary = `${fe.path} does not parse${fe.line !== null ? ` (line ${fe.line})` : ''}: CRI-O will not start or reload`;
        remediation = `Fix or remove ${fe.path}${fe.line !== null ? ` (line ${fe.line})` : ''}. CRI-O parses every non-directory entry in ${dir}/, whatever its name, and one bad file blocks startup and reload; later files are not applied.`;
    }
    out.push(finding('config-parse-error', 'critical', summary, evidence, remediation, fe.path ?? undefined));
  }

  // ---- stray drop-in entries
  for (const s of r.strays) {
    out.push(
      finding(
        'stray-dropin-file',
        'warning',
        `${s.path} looks unintended but CRI-O applies it as a drop-in`,
        [`${s.path}: ${s.reason}`],
        `Move ${s.path} out of ${dir}/. CRI-O applies it like any other drop-in, in byte-wise name order, whatever its name.`,
        s.path,
      ),
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
      finding(
        'default-runtime-undefined',
        'critical',
        `default_runtime names "${x}" but no [crio.runtime.runtimes.${x}] table exists: CRI-O will not start`,
        evidence,
        `Add [crio.runtime.runtimes.${x}] or correct default_runtime (${describeSource(r, r.configured.source)}). CRI-O refuses to start with this config, and a reload is rejected.`,
        'file' in r.configured.source ? r.configured.source.file : undefined,
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
        finding(
          'default-runtime-binary-missing',
          'critical',
          `The default runtime "${v.name}" is invalid (${what}): CRI-O will not start`,
          evidence,
          `Install the runtime binary or fix runtime_path of [crio.runtime.runtimes.${v.name}] (${describeSource(r, v.source)}). CRI-O will not start.`,
          'file' in v.source ? v.source.file : undefined,
        ),
      );
    } else {
      const dropped = finding(
        'runtime-binary-missing',
        'warning',
        `Runtime handler "${v.name}" is invalid (${what}): CRI-O drops it`,
        evidence,
        `Install the binary or remove the table [crio.runtime.runtimes.${v.name}] (${describeSource(r, v.source)}). Until then, pods with RuntimeClass handler "${v.name}" fail with "failed to find runtime handler ${v.name}".`,
        'file' in v.source ? v.source.file : undefined,
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
      finding(
        'nvidia-default-runtime',
        'warning',
        `The NVIDIA wrapper "${def.name}" is CRI-O's default runtime: every pod without a RuntimeClass is run, stopped and exec'd through it`,
        [`default_runtime = "${def.name}" from ${describeSource(r, r.defaultRuntime.source)}`, `[crio.runtime.runtimes.${def.name}] runtime_path ${def.view.runtimePath || '(PATH lookup)'} from ${describeSource(r, def.source)}`],
        `Do not make ${def.name} CRI-O's default runtime. Remove default_runtime from ${'file' in r.defaultRuntime.source ? r.defaultRuntime.source.file : describeSource(r, r.defaultRuntime.source)} and keep its [crio.runtime.runtimes.${def.name}] table. Create a RuntimeClass with handler: ${def.name} and set runtimeClassName: ${def.name} on GPU pods, or use CDI through the GPU Operator. Drain the node before restarting CRI-O (\`crio-sentinel fix\` prints the change).`,
        'file' in r.defaultRuntime.source ? r.defaultRuntime.source.file : undefined,
      ),
    );
  }

  // ---- runc deleted (1.24.x / 1.25.0)
  if (r.runcDeletions.length > 0 && !r.handlers.has('runc')) {
    out.push(
      finding(
        'runc-handler-deleted',
        'warning',
        `CRI-O ${r.crioVersion ?? ''} deletes the runc handler because a file sets another default_runtime`.replace('  ', ' '),
        r.runcDeletions.map((d) => `file ${d.file}${d.line !== null ? ` line ${d.line}` : ''} sets default_runtime ≠ "runc": runc deleted after this file`),
        `CRI-O ≤ 1.25.0 drops the runc handler when another default is set; pods with RuntimeClass handler runc fail with "failed to find runtime handler runc". Upgrade CRI-O to ≥ 1.26, or re-declare [crio.runtime.runtimes.runc] in a later drop-in that does not set default_runtime.`,
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
      finding(
        'nvidia-dropin-ignored',
        'warning',
        `NVIDIA runtime config ${ig.path} is in a place CRI-O never reads`,
        evidence,
        wrongDir
          ? `CRI-O never reads ${ig.path} (nvidia-ctk 1.18.0–1.19.0 writes there). Re-run nvidia-ctk runtime configure with toolkit ≥ 1.19.1 or with --drop-in-config=/etc/crio/crio.conf.d/99-nvidia.toml, or move the file to ${target}${nv.defaultLine ? ` after removing its default_runtime line (it would make ${nv.defaultLine.value} the default for every pod)` : ''}. Pods with RuntimeClass nvidia fail with "failed to find runtime handler nvidia" until then.`
          : `CRI-O never reads ${ig.path} (${ig.reason}). Move the NVIDIA table into a file CRI-O reads (${target})${nv.defaultLine ? ', without its default_runtime line' : ''}, or remove the file.`,
        ig.path,
      ),
    );
  }

  // ---- NVIDIA wrapper: low-level runtime, AppArmor, runtime_root
  const nvidiaHandlers = [...r.validated.values()].filter((v) => !v.dropped && v.view.isNvidia);
  let lowLevelRuntime: ConfigFindings['lowLevelRuntime'] = null;
  let wrapperConfig: WrapperConfig | null = null;
  if (nvidiaHandlers.length > 0 && !r.fatal) {
    wrapperConfig = readWrapperConfig(view);
    const binary = resolveWrapperBinary(view, wrapperConfig);
    const wrapperH = nvidiaIsDefault && def ? def : (nvidiaHandlers[0] as (typeof nvidiaHandlers)[number]);
    lowLevelRuntime = { wrapper: wrapperH.view.runtimePath, binary };
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
          finding(
            'low-level-runtime-mismatch',
            'critical',
            `The NVIDIA wrapper "${def.name}" drives ${binary ?? 'no runtime at all'}, not the ${creatorFam ?? prevName} that created the running containers`,
            [...problems, cfgEvidence, resolvedEvidence, `default_runtime = "${def.name}" from ${describeSource(r, r.defaultRuntime!.source)}`],
            `Make the NVIDIA wrapper use the runtime that created the containers: put ${creatorBin} first in [nvidia-container-runtime] runtimes of ${NVIDIA_RUNTIME_CONFIG} and keep runtime_root unchanged (${prev?.view.runtimeRoot ?? r.rules.defaultRuntimeRoot}); better, do not make ${def.name} the default (see nvidia-default-runtime). Drain the node before switching runtimes.`,
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
          finding(
            'apparmor-confined-runc',
            old ? 'critical' : 'warning',
            `The NVIDIA wrapper forwards to AppArmor-confined /usr/sbin/runc${old ? `: CRI-O ${r.crioVersion}'s crio-default profile denies its signals, so stops hang` : ''}`,
            [
              `AppArmor profile for /usr/sbin/runc: file ${profile.file}${profile.line !== null ? ` line ${profile.line}` : ''}`,
              cfgEvidence,
              resolvedEvidence,
              `CRI-O version: ${r.crioVersion ?? 'unknown (assumed ≥ 1.31)'}`,
            ],
            `Containers driven by /usr/sbin/runc cannot be signalled under CRI-O < 1.31's crio-default profile (kill fails with "unable to signal init: permission denied"). Upgrade CRI-O to ≥ 1.31, or route the NVIDIA wrapper to CRI-O's own runtime binary (put it first in runtimes of ${NVIDIA_RUNTIME_CONFIG}), or keep default_runtime unchanged.`,
            profile.file,
          ),
        );
      }
    }

    for (const h of nvidiaHandlers) {
      const configured = typeof h.fields.runtime_root === 'string' ? h.fields.runtime_root : '';
      if (configured !== '') continue;
      out.push(
        finding(
          'nvidia-handler-without-runtime-root',
          'info',
          `NVIDIA handler "${h.name}" has no runtime_root: it uses CRI-O's default ${h.view.runtimeRoot}`,
          [`[crio.runtime.runtimes.${h.name}] from ${describeSource(r, h.source)} sets no runtime_root`, `effective runtime_root ${h.view.runtimeRoot} (CRI-O ${r.rules.builtinDefault === 'crun' ? '≥ 1.31' : '≤ 1.30'} default)`, resolvedEvidence],
          `The ${h.name} handler uses CRI-O's default root (/run/crun on ≥ 1.31, /run/runc on ≤ 1.30). Set runtime_root in [crio.runtime.runtimes.${h.name}] to match the runtime the wrapper actually uses${binary ? ` (${binary}: /run/${runtimeFamily(binary) ?? 'runc'})` : ''}.`,
          'file' in h.source ? h.source.file : undefined,
        ),
      );
    }
  }

  // ---- CLI/env overrides lost on SIGHUP
  // CRI-O < 1.26 does not reload runtimes on SIGHUP at all, so nothing is lost there
  if (r.cliDefault && !r.fatal && r.rules.reloadsRuntimes && r.cliDefault.value !== r.filesDefault.name) {
    out.push(
      finding(
        'cli-override-lost-on-reload',
        'info',
        `${r.cliDefault.flag} sets the default runtime to "${r.cliDefault.value}" but the files say "${r.filesDefault.name}"`,
        [`${r.cliDefault.flag}=${r.cliDefault.value}`, `files: default_runtime "${r.filesDefault.name}" from ${describeSource(r, r.filesDefault.source)}`],
        `A SIGHUP (systemctl reload crio) re-reads only the files: the next reload will switch the default to "${r.filesDefault.name}". Put default_runtime = "${r.cliDefault.value}" in a drop-in instead.`,
      ),
    );
  }
  if (r.cliRuntimes && !r.fatal && r.rules.reloadsRuntimes) {
    out.push(
      finding(
        'cli-override-lost-on-reload',
        'info',
        `${r.cliRuntimes.flag} defines runtime handlers ${r.cliRuntimes.names.join(', ')} that a reload drops`,
        [`${r.cliRuntimes.flag}: ${r.cliRuntimes.names.join(', ')}`],
        `A SIGHUP re-reads only the files and rebuilds the runtime map from them: handlers set by ${r.cliRuntimes.flag} disappear on the next reload. Define them as [crio.runtime.runtimes.<name>] tables in a drop-in instead.`,
      ),
    );
  }

  return { findings: out, lowLevelRuntime, wrapperConfig };
}
