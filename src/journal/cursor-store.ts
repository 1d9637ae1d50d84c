/**
 * The persisted journal cursor: `<stateDir>/journal.cursor`, one line, written atomically
 * (write to a temporary file in the same directory, fsync, rename). A missing or unreadable
 * state directory never stops the follower: the store reports the error and keeps the cursor in
 * memory only.
 */
import { closeSync, constants as fsConstants, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const CURSOR_FILE = 'journal.cursor';

export interface CursorStore {
  /** the saved cursor, or null (none, unreadable, or not a journal cursor) */
  load(): string | null;
  /** persist; returns an error message instead of throwing. sync=false: no fsync (a checkpoint that carries the same cursor was just synced) */
  save(cursor: string, opts?: { sync?: boolean }): string | null;
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
  const made = { dir: false };
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
    save(cursor: string, opts?: { sync?: boolean }): string | null {
      return writeAtomic(stateDir, path, cursor + '\n', opts?.sync ?? true, made);
    },
  };
}

/**
 * The checkpoint: `<stateDir>/journal.state`, the state of the journal's consumer (the event
 * pipeline's, src/events/state-store.ts) together with the cursor of the last entry that produced
 * it, in ONE file written atomically (tmp file, fsync, rename), so that a restart resumes from
 * exactly the state its cursor produced. `journal.cursor` is still written after it (the position
 * alone, for tools and older versions); when both exist the checkpoint's cursor wins.
 *
 * A checkpoint that cannot be used never stops the daemon: load() says why (unknown version,
 * corrupt or truncated, larger than MAX_STATE_BYTES, unreadable) and the caller starts empty.
 */
export const STATE_FILE = 'journal.state';
export const STATE_FORMAT = 'crio-sentinel-journal-state';
export const STATE_FILE_VERSION = 1;
/** a checkpoint file larger than this is not read (the state's own caps keep it far below) */
export const MAX_STATE_BYTES = 8 * 1024 * 1024;

export type CheckpointProblem = 'corrupt' | 'version' | 'too_large' | 'unreadable';

export type CheckpointLoad =
  | { ok: true; cursor: string; state: unknown; savedAt: string | null }
  | { ok: false; missing: true }
  | { ok: false; missing: false; reason: CheckpointProblem; detail: string };

export interface StateStore {
  load(): CheckpointLoad;
  /** persist cursor + state; returns an error message instead of throwing */
  save(cursor: string, state: unknown, savedAt: string): string | null;
  /** the same, with the state already serialised (JSON.stringify(state)): the file is byte for byte what save() writes */
  saveJson(cursor: string, stateJson: string, savedAt: string): string | null;
  readonly path: string | null;
}

/** Read at most `max` bytes of a regular file without following a symlink or blocking on a FIFO. */
function readBounded(path: string, max: number): { text: string } | { missing: true } | { problem: CheckpointProblem; detail: string } {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') return { missing: true };
    return { problem: 'unreadable', detail: `cannot open ${path}: ${code ?? String(err)}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: 'unreadable', detail: `${path} is not a regular file` };
    if (st.size > max) return { problem: 'too_large', detail: `${path} has ${st.size} bytes (at most ${max})` };
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return { text: buf.subarray(0, got).toString('utf8') };
  } catch (err) {
    return { problem: 'unreadable', detail: `cannot read ${path}: ${(err as { code?: string }).code ?? String(err)}` };
  } finally {
    closeSync(fd);
  }
}

/**
 * Write `data` to `path` atomically: a temporary file in the same directory, fsync (when `sync`),
 * rename. `made.dir`: the directory is known to
 * exist (a catch-up writes a checkpoint every 1000 records; mkdir once per store, again only when
 * the directory went away).
 */
function writeAtomic(dir: string, path: string, data: string, sync: boolean, made: { dir: boolean }): string | null {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    let fd: number;
    try {
      if (!made.dir) mkdirSync(dir, { recursive: true });
      fd = openSync(tmp, 'w', 0o600);
    } catch (err) {
      // the directory went away since: make it again, once
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
      mkdirSync(dir, { recursive: true });
      fd = openSync(tmp, 'w', 0o600);
    }
    made.dir = true;
    try {
      writeSync(fd, data);
      if (sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    return null;
  } catch (err) {
    return `cannot write ${path}: ${(err as { code?: string }).code ?? String(err)}`;
  }
}

export function createStateStore(stateDir: string | null): StateStore {
  if (stateDir === null) return { path: null, load: () => ({ ok: false, missing: true }), save: () => null, saveJson: () => null };
  const path = join(stateDir, STATE_FILE);
  const made = { dir: false };
  return {
    path,
    load(): CheckpointLoad {
      const r = readBounded(path, MAX_STATE_BYTES);
      if ('missing' in r) return { ok: false, missing: true };
      if ('problem' in r) return { ok: false, missing: false, reason: r.problem, detail: r.detail };
      let doc: unknown;
      try {
        doc = JSON.parse(r.text);
      } catch (err) {
        return { ok: false, missing: false, reason: 'corrupt', detail: `${path}: ${err instanceof Error ? err.message : String(err)} (${r.text.length} bytes; truncated?)` };
      }
      const o = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
      if (o === null || o.format !== STATE_FORMAT) return { ok: false, missing: false, reason: 'corrupt', detail: `${path}: not a ${STATE_FORMAT} file` };
      if (o.version !== STATE_FILE_VERSION) {
        return { ok: false, missing: false, reason: 'version', detail: `${path}: version ${JSON.stringify(o.version)}, this crio-sentinel reads version ${STATE_FILE_VERSION}` };
      }
      if (typeof o.cursor !== 'string' || !isCursor(o.cursor)) return { ok: false, missing: false, reason: 'corrupt', detail: `${path}: no valid journal cursor` };
      return { ok: true, cursor: o.cursor, state: o.state, savedAt: typeof o.savedAt === 'string' ? o.savedAt : null };
    },
    save(cursor, state, savedAt) {
      let text: string;
      try {
        text = JSON.stringify({ format: STATE_FORMAT, version: STATE_FILE_VERSION, savedAt, cursor, state });
      } catch (err) {
        return `cannot serialise the state: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (text.length > MAX_STATE_BYTES) return `state of ${text.length} bytes exceeds ${MAX_STATE_BYTES}; not written`;
      return writeAtomic(stateDir, path, text + '\n', true, made);
    },
    saveJson(cursor, stateJson, savedAt) {
      // "state" is the last key: the head is stringified with a placeholder, then the state appended
      const head = JSON.stringify({ format: STATE_FORMAT, version: STATE_FILE_VERSION, savedAt, cursor, state: 0 });
      const text = `${head.slice(0, -'0}'.length)}${stateJson}}`;
      if (text.length > MAX_STATE_BYTES) return `state of ${text.length} bytes exceeds ${MAX_STATE_BYTES}; not written`;
      return writeAtomic(stateDir, path, text + '\n', true, made);
    },
  };
}
