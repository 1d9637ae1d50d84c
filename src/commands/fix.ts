/**
 * `crio-sentinel fix`: print (or --apply) the minimal change that removes fixable findings.
 *
 * Without --apply nothing is written. With --apply each patched file is
 *   1. re-read and compared (sha256) with what the plan was made from: refused if it changed;
 *   2. backed up to --backup-dir (default /var/lib/crio-sentinel/backups under --root): NOT next
 *      to the file, because CRI-O parses every entry of the drop-in dir, backups included;
 *   3. written to a temp file in the same directory (same mode), fsynced, and renamed over the file.
 * Exit status: 0 nothing to fix or applied, 1 fixes printed but not applied, 3 usage error,
 * refusal or write failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors.js';
import { createHostFileView, normalizeHostPath } from '../config/host-file-view.js';
import { planFixes, sha256, type FilePatch, type FixPlan } from '../config/fix.js';
import { parseConfigOptions } from './check.js';

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
  -h, --help              this help

exit status: 0 nothing to fix (or applied), 1 fixes printed but not applied, 3 could not run`;

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

/** Write one patch under root: refuse on change, back up, temp file + rename in the same dir. */
export function applyPatch(root: string, p: FilePatch, backupDir: string, now: Date): { backup: string | null } {
  const real = path.join(root, normalizeHostPath(p.path));
  const dir = path.dirname(real);
  let mode = 0o644;
  let backup: string | null = null;
  if (p.kind === 'modify') {
    const lst = fs.lstatSync(real, { throwIfNoEntry: false });
    if (!lst) throw new UserError(`refusing to write ${p.path}: it no longer exists`);
    if (lst.isSymbolicLink()) throw new UserError(`refusing to write ${p.path}: it is a symbolic link; edit its target by hand`);
    if (!lst.isFile()) throw new UserError(`refusing to write ${p.path}: not a regular file`);
    const current = fs.readFileSync(real);
    if (sha256(current) !== p.sha256Before) throw new UserError(`refusing to write ${p.path}: it changed since it was read; run fix again`);
    mode = lst.mode & 0o7777;
    const bdir = path.join(root, normalizeHostPath(backupDir));
    fs.mkdirSync(bdir, { recursive: true, mode: 0o700 });
    const name = `${normalizeHostPath(p.path).slice(1).replace(/\//g, '_')}.crio-sentinel.bak.${timestamp(now)}`;
    backup = path.posix.join(normalizeHostPath(backupDir), name);
    fs.writeFileSync(path.join(bdir, name), current, { mode, flag: 'wx' });
  } else {
    if (fs.existsSync(real)) throw new UserError(`refusing to create ${p.path}: it exists now; run fix again`);
    fs.mkdirSync(dir, { recursive: true });
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
  const plan = planFixes(opts.inputs, createHostFileView(opts.root));
  process.stdout.write(renderPlan(plan));
  const toApply = plan.fixes.filter((f) => !f.optional).flatMap((f) => f.patches);
  if (!opts.values.apply) return toApply.length > 0 ? 1 : 0;
  const now = new Date();
  for (const p of toApply) {
    const { backup } = applyPatch(opts.root, p, backupDir, now);
    process.stdout.write(`applied: ${p.path}${backup ? ` (backup: ${backup})` : ''}\n`);
  }
  if (toApply.length > 0) process.stdout.write('Now drain the node and restart CRI-O (see "apply" above).\n');
  return 0;
}
