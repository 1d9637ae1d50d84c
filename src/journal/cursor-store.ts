/**
 * The persisted journal cursor: `<stateDir>/journal.cursor`, one line, written atomically
 * (write to a temporary file in the same directory, fsync, rename). A missing or unreadable
 * state directory never stops the follower: the store reports the error and keeps the cursor in
 * memory only.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const CURSOR_FILE = 'journal.cursor';

export interface CursorStore {
  /** the saved cursor, or null (none, unreadable, or not a journal cursor) */
  load(): string | null;
  /** persist; returns an error message instead of throwing */
  save(cursor: string): string | null;
  /** the file path, or null when the store is memory-only */
  readonly path: string | null;
}

/** A journal cursor is `s=…;i=…;b=…;m=…;t=…;x=…`: printable, one line, bounded. */
export function isCursor(s: string): boolean {
  return s.length > 0 && s.length <= 512 && /^[A-Za-z0-9_]+=[^\s;]*(;[A-Za-z0-9_]+=[^\s;]*)*$/.test(s);
}

/** Realtime µs encoded in a cursor's t= field, or null. */
export function cursorRealtimeUs(cursor: string): number | null {
  const m = /(?:^|;)t=([0-9a-f]{1,14})(?:;|$)/.exec(cursor);
  return m ? parseInt(m[1] as string, 16) : null;
}

export function createCursorStore(stateDir: string | null): CursorStore {
  if (stateDir === null) return { path: null, load: () => null, save: () => null };
  const path = join(stateDir, CURSOR_FILE);
  return {
    path,
    load(): string | null {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        return null;
      }
      const c = text.trim();
      return isCursor(c) ? c : null;
    },
    save(cursor: string): string | null {
      const tmp = `${path}.tmp-${process.pid}`;
      try {
        mkdirSync(stateDir, { recursive: true });
        const fd = openSync(tmp, 'w', 0o600);
        try {
          writeSync(fd, cursor + '\n');
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, path);
        return null;
      } catch (err) {
        return `cannot write ${path}: ${(err as { code?: string }).code ?? String(err)}`;
      }
    },
  };
}
