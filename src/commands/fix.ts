/**
 * `crio-sentinel fix`: print (or --apply) the minimal change that removes fixable findings.
 *
 * Without --apply nothing is written. With --apply each patched file is
 *   1. re-read and compared (sha256) with what the plan was made from: refused if it changed;
 *   2. backed up to --backup-dir (default /var/lib/crio-sentinel/backups under --root): NOT next
 *      to the file, because CRI-O parses every entry of the drop-in dir, backups included;
 *   3. written to a temp file in the same directory (same mode), fsynced, and renamed over the file.
 * Exit status: check's, for the files as they are when fix ends (unchanged without --apply,
 * re-read from disk after writing with it): 0 nothing above info, 1 a warning remains, 2 a critical
 * finding remains (not applied, or no automatic fix); 3 usage error, no CRI-O under --root,
 * refusal or write failure.
 * --output json prints one FixOutput document (README "fix JSON").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors.js';
import type { ConfigReport, Finding } from '../core/contracts.js';
import { exitStatusFor } from '../findings/catalogue.js';
import { createHostFileView, normalizeHostPath, resolveUnderRoot } from '../config/host-file-view.js';
import { MAX_CONFIG_BYTES } from '../config/resolve.js';
import { planFixes, sha256, type FilePatch, type FixPlan } from '../config/fix.js';
import { resolveConfig } from '../config/resolve.js';
import { noCrioReason, parseConfigOptions } from './check.js';

export const FIX_USAGE = `usage: crio-sentinel fix [options]

Print the minimal change that removes each fixable finding (unified diff or new file), the
RuntimeClass manifest GPU pods need, and how to make CRI-O pick it up. Changes nothing unless
--apply is given.

options: the configuration options of \`crio-sentinel check\` (--root, --config, --config-dir,
--default-runtime, --runtimes, --env KEY=VALUE, --crio-version), and
  --apply                 write the (non-optional) changes: atomic rename, backup kept, refused when
                          a file changed since it was read
  --backup-dir DIR        host directory for backups (default /var/lib/crio-sentinel/backups, under
                          --root). Never inside the drop-in dir: CRI-O would parse the backup.
  --output text|json      output format (default text); json is the FixOutput contract (README)
  -h, --help              this help

exit status: check's, for the files as fix leaves them (unchanged without --apply): 0 ok/info,
1 a warning remains, 2 a critical finding remains, 3 UNKNOWN: usage error, no CRI-O under --root,
refusal or write failure`;

/** The `fix --output json` contract (README: "fix JSON"). */
export interface FixOutput {
  /** the plan: one entry per fixable finding */
  fixes: {
    findingId: string;
    title: string;
    explanation: string[];
    /** optional fixes are never written by --apply */
    optional: boolean;
    patches: { path: string; kind: 'modify' | 'create'; diff: string; sha256Before: string | null }[];
    manifests: { name: string; content: string }[];
    apply: string[];
  }[];
  /** critical findings no automatic fix removes */
  manual: Finding[];
  /** check's report of the files before fix (the ConfigReport contract) */
  before: ConfigReport;
  /** check's report predicted after the non-optional patches; null when there are none */
  after: ConfigReport | null;
  /** --apply given */
  apply: boolean;
  /** files written, in order, with their backup (host paths); [] without --apply */
  applied: { path: string; backup: string | null }[];
  /** why --apply stopped (refusal, write failure); the files before it in `applied` were written */
  error: string | null;
  /** findings of the files as fix leaves them (re-read from disk after writing) */
  remaining: Finding[];
  /** the exit status: exitStatusFor(remaining), or 3 after an error */
  exitStatus: 0 | 1 | 2 | 3;
}

export const DEFAULT_BACKUP_DIR = '/var/lib/crio-sentinel/backups';

function renderPlan(plan: FixPlan): string {
  const out: string[] = [];
  if (plan.fixes.length === 0) out.push('Nothing to fix automatically.');
  for (const f of plan.fixes) {
    out.push(`# ${f.findingId}: ${f.title}`);
    for (const e of f.explanation) out.push(`#   ${e}`);
    for (const p of f.patches) {
      out.push(p.kind === 'create' ? `# new file ${p.path}:` : `# change to ${p.path}:`);
      out.push(p.diff.trimEnd());
    }
    for (const m of f.manifests) {
      out.push(`# ${m.name} (kubectl apply -f ${m.name}):`);
      out.push(m.content.trimEnd());
    }
    out.push('# apply:');
    for (const s of f.apply) out.push(`#   ${s}`);
    out.push('');
  }
  if (plan.after?.effective) {
    const d = plan.after.effective.defaultRuntime;
    out.push(`# after these changes: default runtime "${d.name}"; CRI-O would start: ${plan.after.crioWouldStart ? 'yes' : `NO: ${plan.after.startError}`}`);
  }
  for (const m of plan.manual) out.push(`# not fixed automatically (${m.severity}) ${m.id}: ${m.remediation}`);
  return out.join('\n') + '\n';
}

function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Refuse a write whose directory is not inside root once every symlink is resolved (races included). */
function assertInsideRoot(root: string, dir: string, what: string): void {
  const rootReal = fs.realpathSync(root);
  const dirReal = fs.realpathSync(dir);
  if (dirReal !== rootReal && !dirReal.startsWith(rootReal === '/' ? '/' : rootReal + '/')) {
    throw new UserError(`refusing to write ${what}: its directory ${dir} resolves to ${dirReal}, outside --root ${rootReal}`);
  }
}

/**
 * Write one patch under root: refuse on change, back up, temp file + rename in the same dir.
 * Every path is resolved inside root as the engine reads it (an absolute symlink target "/x" is
 * "<root>/x"), and each directory written to is checked to be inside root after it is created.
 */
export function applyPatch(root: string, p: FilePatch, backupDir: string, now: Date): { backup: string | null } {
  const hostPath = normalizeHostPath(p.path);
  const dir = resolveUnderRoot(root, path.posix.dirname(hostPath));
  const real = path.join(dir, path.posix.basename(hostPath));
  let mode = 0o644;
  let backup: string | null = null;
  if (p.kind === 'modify') {
    assertInsideRoot(root, dir, p.path);
    const lst = fs.lstatSync(real, { throwIfNoEntry: false });
    if (!lst) throw new UserError(`refusing to write ${p.path}: it no longer exists`);
    if (lst.isSymbolicLink()) throw new UserError(`refusing to write ${p.path}: it is a symbolic link; edit its target by hand`);
    if (!lst.isFile()) throw new UserError(`refusing to write ${p.path}: not a regular file`);
    let current: Buffer;
    try {
      current = createHostFileView(root).readFile(hostPath, MAX_CONFIG_BYTES);
    } catch (e) {
      throw new UserError(`refusing to write ${p.path}: ${(e as Error).message}`);
    }
    if (sha256(current) !== p.sha256Before) throw new UserError(`refusing to write ${p.path}: it changed since it was read; run fix again`);
    mode = lst.mode & 0o7777;
    const bdir = resolveUnderRoot(root, normalizeHostPath(backupDir));
    fs.mkdirSync(bdir, { recursive: true, mode: 0o700 });
    assertInsideRoot(root, bdir, `the backup of ${p.path} (--backup-dir ${backupDir})`);
    const name = `${hostPath.slice(1).replace(/\//g, '_')}.crio-sentinel.bak.${timestamp(now)}`;
    backup = path.posix.join(normalizeHostPath(backupDir), name);
    fs.writeFileSync(path.join(bdir, name), current, { mode, flag: 'wx' });
  } else {
    if (fs.lstatSync(real, { throwIfNoEntry: false })) throw new UserError(`refusing to create ${p.path}: it exists now; run fix again`);
    fs.mkdirSync(dir, { recursive: true });
    assertInsideRoot(root, dir, p.path);
  }
  const tmp = path.join(dir, `.${path.basename(real)}.crio-sentinel.tmp.${process.pid}`);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeSync(fd, p.after);
    fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, real);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dfd = fs.openSync(dir, 'r');
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
  } catch {
    // directory fsync is best effort
  }
  return { backup };
}

export async function main(argv: string[]): Promise<number> {
  const opts = await parseConfigOptions(argv, {
    apply: { type: 'boolean' },
    'backup-dir': { type: 'string', default: DEFAULT_BACKUP_DIR },
  });
  if (opts.help) {
    process.stdout.write(FIX_USAGE + '\n');
    return 0;
  }
  const backupDir = normalizeHostPath(String(opts.values['backup-dir'] ?? DEFAULT_BACKUP_DIR));
  const dropDir = opts.inputs.configDir ?? opts.inputs.env?.CONTAINER_CONFIG_DIR ?? '/etc/crio/crio.conf.d';
  if (dropDir !== '' && (backupDir === normalizeHostPath(dropDir) || backupDir.startsWith(normalizeHostPath(dropDir) + '/'))) {
    throw new UserError(`--backup-dir ${backupDir} is inside the drop-in directory: CRI-O would parse the backups`);
  }
  const view = createHostFileView(opts.root);
  const absent = noCrioReason(opts.inputs, view);
  if (absent !== null) throw new UserError(absent);
  const plan = planFixes(opts.inputs, view);
  const json = opts.output === 'json';
  const apply = opts.values.apply === true;
  if (!json) process.stdout.write(renderPlan(plan));
  const toApply = apply ? plan.fixes.filter((f) => !f.optional).flatMap((f) => f.patches) : [];
  const applied: FixOutput['applied'] = [];
  let error: string | null = null;
  const now = new Date();
  for (const p of toApply) {
    try {
      const { backup } = applyPatch(opts.root, p, backupDir, now);
      applied.push({ path: p.path, backup });
      if (!json) process.stdout.write(`applied: ${p.path}${backup ? ` (backup: ${backup})` : ''}\n`);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (!(err instanceof UserError) && !(typeof code === 'string' && /^E[A-Z0-9]+$/.test(code))) throw err; // a bug, not the host
      error = err instanceof UserError ? err.message : `cannot write ${p.path}: ${code as string}`;
      if (!json) throw new UserError(error);
      break; // JSON: the document still says what was written before the failure
    }
  }
  if (!json && applied.length > 0) process.stdout.write('Now drain the node and restart CRI-O (see "apply" above).\n');
  // what remains is read from disk: after writing, the files as they are now, not as planned
  const remaining = applied.length > 0 ? resolveConfig(opts.inputs, createHostFileView(opts.root)).findings : plan.before.findings;
  const status = error !== null ? 3 : exitStatusFor(remaining);
  if (json) {
    const out: FixOutput = {
      fixes: plan.fixes.map((f) => ({
        findingId: f.findingId,
        title: f.title,
        explanation: f.explanation,
        optional: f.optional,
        patches: f.patches.map((p) => ({ path: p.path, kind: p.kind, diff: p.diff, sha256Before: p.sha256Before })),
        manifests: f.manifests,
        apply: f.apply,
      })),
      manual: plan.manual,
      before: plan.before,
      after: plan.after,
      apply,
      applied,
      error,
      remaining,
      exitStatus: status,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    if (error !== null) process.stderr.write(`crio-sentinel fix: ${error}\n`);
  }
  return status;
}
