/**
 * A FileView that answers some paths from memory and delegates the rest: used by `fix` to
 * re-resolve the configuration as it would be after an edit, without touching the disk.
 */
import { FileViewError, type FileStat, type FileView } from '../core/file-view.js';
import { normalizeHostPath } from './host-file-view.js';

export function overlayFileView(base: FileView, overrides: ReadonlyMap<string, Buffer>): FileView {
  const get = (p: string): Buffer | undefined => overrides.get(normalizeHostPath(p));
  const statOf = (p: string, orig: FileStat | null): FileStat | null => {
    const b = get(p);
    if (b === undefined) return orig;
    return { kind: 'file', size: b.length, mode: orig?.mode ?? 0o644, mtimeMs: orig?.mtimeMs ?? 0 };
  };
  return {
    lstat: (p) => statOf(p, base.lstat(p)),
    stat: (p) => statOf(p, base.stat(p)),
    readdirRaw: (p, maxEntries) => base.readdirRaw(p, maxEntries),
    readFile(p, maxBytes) {
      const b = get(p);
      if (b === undefined) return base.readFile(p, maxBytes);
      if (b.length > maxBytes) throw new FileViewError('EFBIG', p, `${p} is larger than the ${maxBytes}-byte limit: not read`);
      return b;
    },
    isExecutable: (p) => base.isExecutable(p),
    readlink: (p) => (get(p) === undefined ? base.readlink(p) : null),
  };
}
