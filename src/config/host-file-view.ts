/**
 * The side-effect edge of the config engine: a read-only FileView of a host tree mounted at `root`.
 *
 * - Every path given is a HOST path; it is mapped under root. Symlinks are resolved inside the
 *   root: an absolute target "/x" means "<root>/x", and ".." never climbs above the root.
 * - readFile never blocks: the type is checked with stat first, non-regular files are refused
 *   (code ENOTREG, message names the kind), and the file is opened O_NONBLOCK|O_NOFOLLOW on the
 *   resolved path and checked again with fstat before reading. Files over maxBytes are refused
 *   with EFBIG without being read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileViewError, type FileKind, type FileStat, type FileView } from '../core/file-view.js';

const MAX_LINK_HOPS = 40;

export function kindOf(st: fs.Stats): FileKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return 'other';
}

const KIND_WORDS: Record<FileKind, string> = {
  file: 'a regular file',
  dir: 'a directory',
  symlink: 'a symbolic link',
  fifo: 'a FIFO (named pipe)',
  socket: 'a unix socket',
  char: 'a character device',
  block: 'a block device',
  other: 'not a regular file',
};

export function describeKind(kind: FileKind): string {
  return KIND_WORDS[kind];
}

function toStat(st: fs.Stats): FileStat {
  return { kind: kindOf(st), size: st.size, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs };
}

/** Normalise a host path to an absolute POSIX path without "..", ".", or trailing slash. */
export function normalizeHostPath(p: string): string {
  const n = path.posix.normalize('/' + p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'EIO';
}

/** Symlink resolution inside a root: what the host would see at a host path, mapped under the root. */
function rootResolver(root: string) {
  const rootAbs = path.resolve(root);
  const real = (hostPath: string): string => (hostPath === '/' ? rootAbs : path.join(rootAbs, hostPath));

  function lstatReal(hostPath: string): fs.Stats | null {
    try {
      return fs.lstatSync(real(hostPath), { throwIfNoEntry: false }) ?? null;
    } catch (e) {
      const code = errCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw new FileViewError(code, hostPath, `${hostPath}: ${(e as Error).message}`);
    }
  }

  /**
   * Resolve a host path inside the root. followFinal=false leaves a final symlink alone.
   * Returns the resolved host path, or null when a component is missing (dangling link); with
   * appendMissing, the components from the first missing one on are appended unresolved instead.
   */
  function resolve(hostPath: string, followFinal: boolean, appendMissing = false): string | null {
    // pending components, last one first (pop is O(1))
    const pending = normalizeHostPath(hostPath).split('/').filter(Boolean).reverse();
    let cur = '/';
    let hops = 0;
    while (pending.length > 0) {
      const name = pending.pop() as string;
      const next = cur === '/' ? `/${name}` : `${cur}/${name}`;
      const isFinal = pending.length === 0;
      const st = lstatReal(next);
      if (st === null) {
        // a missing final component resolves to itself (callers see "missing")
        if (isFinal) return next;
        return appendMissing ? normalizeHostPath([next, ...pending.reverse()].join('/')) : null;
      }
      if (st.isSymbolicLink() && (!isFinal || followFinal)) {
        if (++hops > MAX_LINK_HOPS) throw new FileViewError('ELOOP', hostPath, `${hostPath}: too many levels of symbolic links`);
        let target: string;
        try {
          target = fs.readlinkSync(real(next));
        } catch (e) {
          throw new FileViewError(errCode(e), hostPath, `${hostPath}: ${(e as Error).message}`);
        }
        const base = target.startsWith('/') ? '/' : cur;
        const joined = normalizeHostPath(path.posix.join(base, target));
        const parts = joined.split('/').filter(Boolean);
        for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i] as string);
        cur = '/';
        continue;
      }
      cur = next;
    }
    return cur;
  }
  return { rootAbs, real, lstatReal, resolve };
}

/**
 * Where a host path is on disk under root, every symlink resolved inside the root (as the view reads
 * it; missing components are kept as they are). For writers: the result is always under root.
 */
export function resolveUnderRoot(root: string, hostPath: string): string {
  const r = rootResolver(root);
  return r.real(r.resolve(hostPath, true, true) as string);
}

export function createHostFileView(root: string): FileView {
  const { real, lstatReal, resolve } = rootResolver(root);

  function statResolved(hostPath: string): { host: string; st: fs.Stats } | null {
    const host = resolve(hostPath, true);
    if (host === null) return null;
    const st = lstatReal(host);
    return st ? { host, st } : null;
  }

  return {
    lstat(p) {
      const host = resolve(p, false);
      if (host === null) return null;
      const st = lstatReal(host);
      return st ? toStat(st) : null;
    },
    stat(p) {
      const r = statResolved(p);
      return r ? toStat(r.st) : null;
    },
    readdirRaw(p, maxEntries) {
      const r = statResolved(p);
      if (!r) return [];
      if (!r.st.isDirectory()) throw new FileViewError('ENOTDIR', p, `${p}: not a directory`);
      let dir: fs.Dir | undefined;
      try {
        if (maxEntries === undefined) return fs.readdirSync(real(r.host), { encoding: 'buffer' });
        // streamed, so that a directory of a million entries is refused without holding its names
        dir = fs.opendirSync(real(r.host), { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
        const names: Buffer[] = [];
        for (let d = dir.readSync(); d !== null; d = dir.readSync()) {
          if (names.length >= maxEntries) throw new FileViewError('E2BIG', p, `${p} holds more than ${maxEntries} entries`);
          names.push(d.name as unknown as Buffer);
        }
        return names;
      } catch (e) {
        if (e instanceof FileViewError) throw e;
        throw new FileViewError(errCode(e), p, `${p}: ${(e as Error).message}`);
      } finally {
        dir?.closeSync();
      }
    },
    readFile(p, maxBytes) {
      const r = statResolved(p);
      if (!r) throw new FileViewError('ENOENT', p, `open ${p}: no such file or directory`);
      const kind = kindOf(r.st);
      if (kind === 'dir') throw new FileViewError('EISDIR', p, `read ${p}: is a directory`);
      if (kind !== 'file') throw new FileViewError('ENOTREG', p, `${p} is ${describeKind(kind)}, not a regular file`);
      if (r.st.size > maxBytes) {
        throw new FileViewError('EFBIG', p, `${p} is ${r.st.size} bytes, larger than the ${maxBytes}-byte limit: not read`);
      }
      let fd: number;
      try {
        fd = fs.openSync(real(r.host), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
      } catch (e) {
        const code = errCode(e);
        const why = code === 'EACCES' ? 'permission denied' : (e as Error).message;
        throw new FileViewError(code, p, `open ${p}: ${why}`);
      }
      try {
        const st = fs.fstatSync(fd);
        if (!st.isFile()) throw new FileViewError('ENOTREG', p, `${p} is ${describeKind(kindOf(st))}, not a regular file`);
        let buf = Buffer.alloc(Math.min(maxBytes + 1, Math.max(st.size, 0) + 1));
        let off = 0;
        for (;;) {
          if (off === buf.length) {
            if (buf.length > maxBytes) throw new FileViewError('EFBIG', p, `${p} grew beyond the ${maxBytes}-byte limit: not read`);
            const bigger = Buffer.alloc(Math.min(maxBytes + 1, buf.length * 2));
            buf.copy(bigger);
            buf = bigger;
          }
          const n = fs.readSync(fd, buf, off, buf.length - off, null);
          if (n === 0) break;
          off += n;
        }
        if (off > maxBytes) throw new FileViewError('EFBIG', p, `${p} is larger than the ${maxBytes}-byte limit: not read`);
        return buf.subarray(0, off);
      } catch (e) {
        if (e instanceof FileViewError) throw e;
        throw new FileViewError(errCode(e), p, `read ${p}: ${(e as Error).message}`);
      } finally {
        fs.closeSync(fd);
      }
    },
    isExecutable(p) {
      try {
        const r = statResolved(p);
        return r !== null && r.st.isFile() && (r.st.mode & 0o111) !== 0;
      } catch {
        return false;
      }
    },
    readlink(p) {
      const host = normalizeHostPath(p);
      const st = lstatReal(host);
      if (!st || !st.isSymbolicLink()) return null;
      try {
        const target = fs.readlinkSync(real(host));
        return normalizeHostPath(target.startsWith('/') ? target : path.posix.join(path.posix.dirname(host), target));
      } catch {
        return null;
      }
    },
  };
}
