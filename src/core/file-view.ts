/**
 * The read-only, bounded view of a host file system that the pure core reads through (rooted at
 * `--root`); the edge implementation is src/config/host-file-view.ts.
 */

export type FileKind = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block' | 'other';

export interface FileStat {
  kind: FileKind;
  size: number;
  /** permission bits (mode & 0o7777) */
  mode: number;
  mtimeMs: number;
}

/**
 * Read-only view of a host file system, rooted at `--root`.
 * All paths given to it are HOST paths ("/etc/crio/crio.conf"); the view maps them under the root.
 * Implementations never throw for a missing path (they return null); other failures throw
 * FileViewError carrying an errno-style code.
 */
export interface FileView {
  /** lstat (does not follow a final symlink); null when the path does not exist. */
  lstat(path: string): FileStat | null;
  /** stat (follows symlinks); null when missing or a dangling link. */
  stat(path: string): FileStat | null;
  /**
   * Entry names of a directory as raw bytes (non-UTF-8 names are kept). With maxEntries, a
   * directory holding more is refused (FileViewError code 'E2BIG') without keeping its names.
   */
  readdirRaw(path: string, maxEntries?: number): Buffer[];
  /** Read a whole file, refusing (FileViewError code 'EFBIG') when larger than maxBytes. */
  readFile(path: string, maxBytes: number): Buffer;
  /** True when the path resolves to a regular file with an execute bit. */
  isExecutable(path: string): boolean;
  /** Resolve a symlink target as the host would see it (host path), or null. */
  readlink(path: string): string | null;
}

export class FileViewError extends Error {
  constructor(
    readonly code: string,
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'FileViewError';
  }
}
