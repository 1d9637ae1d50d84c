/**
 * Step 5 of the engine: the drop-in walk, as CRI-O's UpdateFromPath does it with filepath.Walk:
 * the root is lstat()ed (a symlinked or regular root is read as one file), every directory's names
 * are sorted byte-wise, each entry is lstat()ed (symlinks are not followed, so the walk cannot
 * loop), subdirectories are walked at their sort position, and every other entry is a file.
 *
 * CRI-O walks every entry, so does this walk: iteratively (no recursion), linear in the entries.
 * Its bounds never change an answer silently: beyond MAX_WALK_ENTRIES entries or MAX_WALK_DEPTH
 * levels, or on a name the file view cannot open, the walk says so in `limit` and the engine
 * reports the configuration as not evaluated.
 */
import { FileViewError, type FileView } from '../core/file-view.js';
import { oneLine } from './fatal.js';

/** Entries (files and directories, at any depth) walked before the configuration is "not evaluated". */
export const MAX_WALK_ENTRIES = 100_000;
/** Directory levels walked before the configuration is "not evaluated" (each level costs a path resolution under the root). */
export const MAX_WALK_DEPTH = 256;

export interface WalkEntry {
  path: string;
  /** CRI-O fails on this entry (unreadable dir, failed lstat) with this error */
  walkError?: string;
}

export interface WalkResult {
  /** in CRI-O's order; a directory root that is not a directory is one entry (itself) */
  entries: WalkEntry[];
  /** why the walk is incomplete (a crio-sentinel bound, not a CRI-O failure), or null */
  limit: string | null;
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Walk a directory that exists (lstat kind 'dir'). */
export function walkDropIns(view: FileView, root: string, maxEntries = MAX_WALK_ENTRIES, maxDepth = MAX_WALK_DEPTH): WalkResult {
  const entries: WalkEntry[] = [];
  let seen = 0;
  interface Frame {
    dir: string;
    names: Buffer[];
    next: number;
    depth: number;
  }
  const stack: Frame[] = [];
  /** Read and sort one directory's names; false when the walk must stop. */
  const open = (dir: string, depth: number): string | null => {
    if (depth > maxDepth) return `${dir}: directory nesting deeper than ${maxDepth} levels`;
    let names: Buffer[];
    try {
      names = view.readdirRaw(dir, maxEntries - seen);
    } catch (e) {
      if (e instanceof FileViewError && e.code === 'E2BIG') return `more than ${maxEntries} entries under ${root}`;
      entries.push({ path: dir, walkError: errText(e) });
      return null;
    }
    seen += names.length;
    names.sort(Buffer.compare);
    stack.push({ dir, names, next: 0, depth });
    return null;
  };
  let limit = open(root, 0);
  while (limit === null && stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    if (top.next >= top.names.length) {
      stack.pop();
      continue;
    }
    const raw = top.names[top.next++] as Buffer;
    const name = raw.toString('utf8');
    if (!Buffer.from(name, 'utf8').equals(raw)) {
      limit = `${top.dir}/${oneLine(raw.toString('latin1'))}: entry name is not valid UTF-8; crio-sentinel cannot open it (CRI-O reads it)`;
      break;
    }
    const p = top.dir === '/' ? `/${name}` : `${top.dir}/${name}`;
    let kind;
    try {
      kind = view.lstat(p)?.kind;
    } catch (e) {
      entries.push({ path: p, walkError: errText(e) });
      continue;
    }
    if (kind === 'dir') limit = open(p, top.depth + 1);
    else entries.push({ path: p });
  }
  return { entries, limit };
}

const STRAY_SUFFIXES = ['~', '.swp', '.swo', '.bak', '.orig', '.old', '.rej', '.tmp', '.rpmsave', '.rpmnew', '.rpmorig', '.dpkg-old', '.dpkg-new', '.dpkg-dist', '.dpkg-bak', '.ucf-old', '.ucf-new', '.ucf-dist'];

/** Why a drop-in entry looks unintended, or null. */
export function strayReason(view: FileView, dir: string, path: string): string | null {
  const rel = path.slice(dir.length + 1);
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  const reasons: string[] = [];
  if (base.startsWith('.')) reasons.push('hidden file');
  const suffix = STRAY_SUFFIXES.find((s) => base.endsWith(s)) ?? (/\.dpkg-[a-z]+$/.test(base) ? '.dpkg-*' : undefined) ?? (/\.crio-sentinel\.bak\./.test(base) ? 'backup' : undefined);
  if (suffix) reasons.push(`editor/backup name (${suffix})`);
  else if (!base.endsWith('.conf') && !base.endsWith('.toml')) reasons.push('name does not end in .conf or .toml');
  if (rel.includes('/')) reasons.push('inside a subdirectory');
  try {
    if (view.lstat(path)?.kind === 'symlink') reasons.push(`symbolic link to ${view.readlink(path) ?? '?'}`);
  } catch {
    // ignore
  }
  return reasons.length ? reasons.join(', ') : null;
}
