/**
 * `fix` planning (pure over the FileView): the minimal file change that removes each fixable
 * finding, re-resolved to say what CRI-O will do afterwards. Writing is the command's job.
 */
import { createHash } from 'node:crypto';
import type { ConfigInputs } from './inputs.js';
import type { ConfigReport, Finding } from '../core/contracts.js';
import type { FileView } from '../core/file-view.js';
import { unifiedDiff } from './diff.js';
import { describeSource } from './describe.js';
import { overlayFileView } from './overlay-file-view.js';
import { NVIDIA_RUNTIME_CONFIG, runtimeFamily } from './nvidia.js';
import { MAX_CONFIG_BYTES, resolveDetailed, safe, toReport, type Resolution } from './resolve.js';
import { formatProvenance } from './render-text.js';
import { parseCrioVersion, compareVersions } from './version.js';

export interface FilePatch {
  /** host path */
  path: string;
  kind: 'modify' | 'create';
  before: string | null;
  after: string;
  diff: string;
  /** sha256 of the bytes read, to refuse writing when the file changed since */
  sha256Before: string | null;
}

export interface PlannedFix {
  findingId: string;
  title: string;
  /** plain-words explanation lines */
  explanation: string[];
  patches: FilePatch[];
  /** Kubernetes manifests to apply (file name -> YAML) */
  manifests: { name: string; content: string }[];
  /** how to make CRI-O pick it up */
  apply: string[];
  /** optional fixes are printed, never applied by --apply */
  optional: boolean;
}

export interface FixPlan {
  before: ConfigReport;
  /** the report after all non-optional patches (null when there are none) */
  after: ConfigReport | null;
  fixes: PlannedFix[];
  /** critical findings with no automatic fix */
  manual: Finding[];
}

export function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A line that sets only default_runtime (plain or dotted key), safe to delete whole. */
const DEFAULT_LINE = /^\s*(?:(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')\s*\.\s*)*default_runtime\s*=\s*(?:"[^"\n]*"|'[^'\n]*')\s*(?:#.*)?$/;

function removeLine(text: string, line: number): string | null {
  const lines = text.split('\n');
  const l = lines[line - 1];
  if (l === undefined || !DEFAULT_LINE.test(l)) return null;
  lines.splice(line - 1, 1);
  return lines.join('\n');
}

export function runtimeClassManifest(handler: string): string {
  return `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: ${handler}
handler: ${handler}
`;
}

function applySteps(r: Resolution): string[] {
  const v = r.rules.version;
  const reloads = v === null || compareVersions(v, parseCrioVersion('1.26.0')!) >= 0;
  const steps = [
    'kubectl drain <node> --ignore-daemonsets --delete-emptydir-data   # pods created under the old default must not be stopped through the new one',
    'systemctl restart crio',
    'kubectl uncordon <node>',
  ];
  const note = reloads
    ? `CRI-O ${r.crioVersion ?? '(version unknown)'} reloads default_runtime on SIGHUP (systemctl reload crio, from 1.26), but a real 1.31 daemon kept selecting runtimes with the old default until it was restarted: the reload updates CRI-O's config object, not its runtime layer. Do not rely on a reload: drain the node, then restart CRI-O.`
    : `CRI-O ${r.crioVersion} does not reload runtimes or default_runtime on SIGHUP (only from 1.26): the change applies at the next restart. Drain the node first.`;
  return [note, ...steps];
}

interface Overlay {
  texts: Map<string, string>;
  originals: Map<string, { text: string; sha: string }>;
}

function readText(view: FileView, path: string, overlay: Overlay): string | null {
  const o = overlay.texts.get(path);
  if (o !== undefined) return o;
  try {
    const buf = view.readFile(path, MAX_CONFIG_BYTES);
    const text = buf.toString('utf8');
    overlay.originals.set(path, { text, sha: sha256(buf) });
    return text;
  } catch {
    return null;
  }
}

function overlayView(view: FileView, overlay: Overlay): FileView {
  return overlayFileView(view, new Map([...overlay.texts].map(([p, t]) => [p, Buffer.from(t, 'utf8')])));
}

/**
 * Remove `default_runtime` lines from the files that set the current default, until the default
 * no longer satisfies `stillBad` (several files may set it) or its source is not a file line.
 */
function removeDefaultLines(
  inputs: ConfigInputs,
  view: FileView,
  overlay: Overlay,
  opts: { path?: string[] },
  stillBad: (r: Resolution) => boolean,
): { removed: { file: string; line: number; text: string }[]; blocked: string | null; result: Resolution } {
  const removed: { file: string; line: number; text: string }[] = [];
  let r = resolveDetailed(inputs, overlayView(view, overlay), opts);
  for (let i = 0; i < 16 && stillBad(r); i++) {
    const src = r.configured.source;
    if (!('file' in src) || src.line === null) {
      return { removed, blocked: 'builtin' in src ? 'the built-in default' : `${formatProvenance(src)} (not a file)`, result: r };
    }
    const text = readText(view, src.file, overlay);
    const next = text === null ? null : removeLine(text, src.line);
    if (text === null || next === null) {
      return { removed, blocked: `${src.file} line ${src.line} is not a plain "default_runtime = …" line; edit it by hand`, result: r };
    }
    removed.push({ file: src.file, line: src.line, text: (text.split('\n')[src.line - 1] ?? '').trim() });
    overlay.texts.set(src.file, next);
    r = resolveDetailed(inputs, overlayView(view, overlay), opts);
  }
  return { removed, blocked: null, result: r };
}

function patchesFor(files: string[], overlay: Overlay): FilePatch[] {
  return [...new Set(files)].map((p) => {
    const orig = overlay.originals.get(p);
    const after = overlay.texts.get(p) as string;
    return { path: p, kind: 'modify', before: orig?.text ?? null, after, diff: unifiedDiff(p, orig?.text ?? '', after), sha256Before: orig?.sha ?? null };
  });
}

export function planFixes(inputs: ConfigInputs, view: FileView, opts: { path?: string[] } = {}): FixPlan {
  const r0 = resolveDetailed(inputs, view, opts);
  const before = toReport(r0, view);
  const fixes: PlannedFix[] = [];
  const overlay: Overlay = { texts: new Map(), originals: new Map() };
  const has = (id: string) => before.findings.find((f) => f.id === id);

  const nvDefault = has('nvidia-default-runtime');
  if (nvDefault && r0.defaultRuntime) {
    const handler = r0.defaultRuntime.name;
    const res = removeDefaultLines(inputs, view, overlay, opts, (r) => {
      const d = r.defaultRuntime ? r.validated.get(r.defaultRuntime.name) : undefined;
      return d?.view.isNvidia === true;
    });
    const explanation: string[] = [];
    for (const rm of res.removed) explanation.push(`remove line ${rm.line} of ${rm.file}: ${rm.text} (its [crio.runtime.runtimes.${handler}] table stays, so RuntimeClass ${handler} keeps working)`);
    if (res.blocked) explanation.push(`cannot remove the default automatically: it comes from ${res.blocked}. ${res.blocked.includes('flag') || res.blocked.includes('env') ? 'Remove --default-runtime / CONTAINER_DEFAULT_RUNTIME from the CRI-O unit or its environment file (/etc/default/crio or /etc/sysconfig/crio).' : ''}`.trim());
    const after = res.result;
    if (after.defaultRuntime) {
      explanation.push(`afterwards CRI-O's default runtime is "${after.defaultRuntime.name}" (from ${describeSource(after, after.defaultRuntime.source)})`);
    } else if (after.configError) explanation.push(`afterwards: ${after.configError}`);
    explanation.push(`GPU pods select the NVIDIA runtime explicitly with runtimeClassName: ${handler} (RuntimeClass below); pods without a RuntimeClass run under the default again.`);
    fixes.push({
      findingId: 'nvidia-default-runtime',
      title: `stop making "${handler}" CRI-O's default runtime`,
      explanation,
      patches: patchesFor(
        res.removed.map((x) => x.file),
        overlay,
      ),
      manifests: [{ name: `runtimeclass-${handler}.yaml`, content: runtimeClassManifest(handler) }],
      apply: applySteps(r0),
      optional: false,
    });
  }

  if (has('default-runtime-undefined') && !nvDefault) {
    const name = r0.configured.name;
    const res = removeDefaultLines(inputs, view, overlay, opts, (r) => r.configError !== null && r.configured.name === name);
    const explanation = res.removed.map((rm) => `remove line ${rm.line} of ${rm.file}: ${rm.text} (no [crio.runtime.runtimes.${name}] table exists)`);
    if (res.blocked) explanation.push(`cannot remove it automatically: it comes from ${res.blocked}`);
    const after = res.result;
    if (after.defaultRuntime) explanation.push(`afterwards CRI-O's default runtime is "${after.defaultRuntime.name}" (from ${describeSource(after, after.defaultRuntime.source)})`);
    explanation.push(`alternatively keep the line and add a [crio.runtime.runtimes.${name}] table with its runtime_path`);
    fixes.push({
      findingId: 'default-runtime-undefined',
      title: `remove default_runtime = "${name}", which names no runtime table`,
      explanation,
      patches: patchesFor(
        res.removed.map((x) => x.file),
        overlay,
      ),
      manifests: [],
      apply: applySteps(r0),
      optional: false,
    });
  }

  // optional: an NVIDIA drop-in CRI-O never reads -> the same table in the real drop-in dir, without default_runtime
  for (const f of before.findings.filter((x) => x.id === 'nvidia-dropin-ignored')) {
    const src = f.subject?.file;
    const ig = r0.ignored.find((i) => i.path === src);
    if (!src || !ig?.text) continue;
    const target = `${r0.configDir || '/etc/crio/crio.conf.d'}/${src.slice(src.lastIndexOf('/') + 1)}`;
    if (safe(() => view.stat(target), null) !== null) continue;
    const content = ig.text
      .split('\n')
      .filter((l) => !DEFAULT_LINE.test(l))
      .join('\n');
    fixes.push({
      findingId: 'nvidia-dropin-ignored',
      title: `(optional) make the NVIDIA handler of ${src} visible to CRI-O, without making it the default`,
      explanation: [
        `${src} is never read by CRI-O, so RuntimeClass nvidia pods fail with "failed to find runtime handler nvidia".`,
        `If you want the handler, create ${target} (its default_runtime line dropped) and remove ${src}; or re-run nvidia-ctk ≥ 1.19.1 without --set-as-default.`,
      ],
      patches: [{ path: target, kind: 'create', before: null, after: content, diff: unifiedDiff(target, null, content), sha256Before: null }],
      manifests: [{ name: 'runtimeclass-nvidia.yaml', content: runtimeClassManifest('nvidia') }],
      apply: applySteps(r0),
      optional: true,
    });
  }

  // AppArmor-confined /usr/sbin/runc behind the wrapper: route the wrapper to CRI-O's own runtime binary
  const afterDefaults = overlay.texts.size > 0 ? resolveDetailed(inputs, overlayView(view, overlay), opts) : r0;
  const confined = toReport(afterDefaults, overlayView(view, overlay)).findings.find((f) => f.id === 'apparmor-confined-runc');
  if (confined?.severity === 'critical') {
    const def = afterDefaults.defaultRuntime ? afterDefaults.validated.get(afterDefaults.defaultRuntime.name) : undefined;
    const own = def && !def.view.isNvidia && runtimeFamily(def.view.runtimePath) ? def.view.runtimePath : null;
    const text = readText(view, NVIDIA_RUNTIME_CONFIG, overlay);
    const explanation: string[] = [];
    const patches: FilePatch[] = [];
    if (!own) explanation.push('no non-NVIDIA default runtime binary to route the wrapper to; upgrade CRI-O to ≥ 1.31 instead');
    else if (text === null) explanation.push(`${NVIDIA_RUNTIME_CONFIG} does not exist; create it with [nvidia-container-runtime] runtimes = ["${own}", "runc", "crun"] or upgrade CRI-O to ≥ 1.31`);
    else {
      const lines = text.split('\n');
      let section = '';
      let idx = -1;
      lines.forEach((l, i) => {
        const h = /^\s*\[([^\]]+)\]\s*(#.*)?$/.exec(l);
        if (h) section = (h[1] ?? '').trim();
        else if (idx < 0 && section === 'nvidia-container-runtime' && /^\s*runtimes\s*=\s*\[[^\]]*\]\s*(#.*)?$/.test(l)) idx = i;
      });
      if (idx < 0) explanation.push(`${NVIDIA_RUNTIME_CONFIG} has no single-line runtimes = [...] in [nvidia-container-runtime]; put "${own}" first in that list by hand`);
      else {
        const line = lines[idx] as string;
        lines[idx] = line.replace(/\[\s*/, `["${own}", `).replace(/, \]/, ']');
        overlay.texts.set(NVIDIA_RUNTIME_CONFIG, lines.join('\n'));
        patches.push(...patchesFor([NVIDIA_RUNTIME_CONFIG], overlay));
        explanation.push(`put ${own} (CRI-O's own ${runtimeFamily(own)}, the default runtime) first in runtimes of ${NVIDIA_RUNTIME_CONFIG}: the wrapper then runs it instead of the AppArmor-confined /usr/sbin/runc`);
        explanation.push('containers already created through the wrapper by /usr/sbin/runc must be drained before the change');
      }
    }
    fixes.push({
      findingId: 'apparmor-confined-runc',
      title: 'route the NVIDIA wrapper away from AppArmor-confined /usr/sbin/runc',
      explanation,
      patches,
      manifests: [],
      apply: [
        'the wrapper reads its config.toml at every invocation: no CRI-O restart is needed for this file, but drain the node first so no container is driven by a different runtime than the one that created it',
      ],
      optional: false,
    });
  }

  const fixed = new Set(fixes.filter((x) => x.patches.length > 0 || x.optional).map((x) => x.findingId));
  const after = overlay.texts.size > 0 ? toReport(resolveDetailed(inputs, overlayView(view, overlay), opts), overlayView(view, overlay)) : null;
  const manual = (after ?? before).findings.filter((f) => f.severity === 'critical' && !fixed.has(f.id));
  return { before, after, fixes, manual };
}
