/**
 * What the low-level runtimes hold: for each runtime root, which container IDs have state there.
 * Read-only through the bounded FileView (under --root); no runtime binary is ever executed.
 *
 *   runc: <root>/<id>/state.json  {id, init_process_pid, init_process_start, created,
 *                                  config.labels ["bundle=…", "<annotation>=<value>", …]}
 *   crun: <root>/<id>/status      {pid, process-start-time, bundle, created, …}
 *                                 (+ <root>/<id>/config.json, the spec copy, for annotations)
 *
 * Liveness: /proc/<pid>/stat through the same view, only when a /proc is there (root "/" or the
 * host's /proc mounted under --root); the start time (field 22) must equal the one the runtime
 * recorded, else the pid was reused and the container's process is gone. Without /proc: unknown.
 *
 * Junk (non-directories, broken JSON, oversize files, symlink loops, huge directories) is skipped,
 * counted per reason and root, and never throws; at most `maxEntries` entries per root are looked at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileViewError, type FileView } from '../core/file-view.js';
import type { RuntimeFamily, RuntimeHolding, RuntimeRootRead, RuntimeStateSkip, RuntimeStateSnapshot } from '../containers/types.js';

export interface RuntimeRootSpec {
  /** host path of the root, e.g. /run/runc */
  root: string;
  /** who uses it (handler names); shown in the snapshot */
  usedBy: string[];
  /** the family expected there (from the handler's binary), when known */
  family?: RuntimeFamily | null;
}

export interface RuntimeStateOptions {
  /** directory entries looked at per root (default 4096) */
  maxEntries?: number;
  /** largest state file read (default 1 MiB; runc's state.json carries the whole config, ~15 KB) */
  maxStateBytes?: number;
  /** consult /proc/<pid>/stat for liveness; default: when /proc/1/stat exists in the view */
  procAvailable?: boolean;
  now?: () => number;
  /**
   * Read at most `max` names of a directory (host path), saying whether there are more; null =
   * cannot (the reader then falls back to the view's full readdir). createBoundedLister(root).
   */
  listDir?: BoundedLister;
}

/** Entry kinds from readdir's d_type ("unknown" when the file system does not say). */
export type EntryKind = 'dir' | 'symlink' | 'other' | 'unknown';
export type BoundedLister = (hostPath: string, max: number) => { names: Buffer[]; kinds: EntryKind[]; more: boolean } | null;

/**
 * A directory lister that stops after `max` entries (opendir + readSync), so a root with 100 000
 * junk entries costs what 4096 cost. Only for a directory whose real path stays inside `root`
 * (else null: the FileView resolves such links within the root instead).
 */
export function createBoundedLister(root: string): BoundedLister {
  const rootAbs = path.resolve(root);
  return (hostPath, max) => {
    let real: string;
    try {
      real = fs.realpathSync(path.join(rootAbs, hostPath));
    } catch {
      return null;
    }
    if (rootAbs !== '/' && real !== rootAbs && !real.startsWith(rootAbs + path.sep)) return null;
    let dir: fs.Dir | null = null;
    try {
      dir = fs.opendirSync(real, { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
      const names: Buffer[] = [];
      const kinds: EntryKind[] = [];
      for (;;) {
        const d = dir.readSync();
        if (!d) return { names, kinds, more: false };
        if (names.length >= max) return { names, kinds, more: true };
        const n = d.name as unknown;
        names.push(Buffer.isBuffer(n) ? n : Buffer.from(String(n)));
        kinds.push(d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : d.isFile() || d.isFIFO() || d.isSocket() || d.isCharacterDevice() || d.isBlockDevice() ? 'other' : 'unknown');
      }
    } catch {
      return null;
    } finally {
      dir?.closeSync();
    }
  };
}

const ID_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;

function bump(m: Partial<Record<RuntimeStateSkip, number>>, k: RuntimeStateSkip, n = 1): void {
  m[k] = (m[k] ?? 0) + n;
}

function posInt(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null;
}

function strOrNull(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Parse /proc/<pid>/stat: {state, startTime} or null. The comm field may hold spaces and parens. */
export function parseProcStat(text: string): { state: string; startTime: number } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).trim().split(/\s+/);
  // f[0] is field 3 (state); starttime is field 22
  const state = f[0];
  const start = Number(f[19]);
  if (!state || !Number.isSafeInteger(start)) return null;
  return { state, startTime: start };
}

interface Annotated {
  manager: string | null;
  sandboxId: string | null;
  pod: RuntimeHolding['pod'];
}

function fromAnnotations(get: (k: string) => string | undefined): Annotated {
  const ns = get('io.kubernetes.pod.namespace') ?? null;
  const name = get('io.kubernetes.pod.name') ?? null;
  const uid = get('io.kubernetes.pod.uid') ?? null;
  return {
    manager: get('io.container.manager') ?? null,
    sandboxId: get('io.kubernetes.cri-o.SandboxID') ?? null,
    pod: ns || name || uid ? { namespace: ns, name, uid } : null,
  };
}

export function readRuntimeRoots(view: FileView, roots: RuntimeRootSpec[], opts: RuntimeStateOptions = {}): RuntimeStateSnapshot {
  const maxEntries = opts.maxEntries ?? 4096;
  const maxBytes = opts.maxStateBytes ?? 1 << 20;
  let procAvailable = opts.procAvailable;
  if (procAvailable === undefined) {
    try {
      procAvailable = view.stat('/proc/1/stat') !== null;
    } catch {
      procAvailable = false;
    }
  }
  const holdings: RuntimeHolding[] = [];
  const reads: RuntimeRootRead[] = [];
  const seenRoots = new Set<string>();

  const alive = (pid: number | null, startTime: number | null): boolean | null => {
    if (!procAvailable || pid === null) return null;
    let text: string;
    try {
      text = view.readFile(`/proc/${pid}/stat`, 4096).toString('latin1');
    } catch (e) {
      if (e instanceof FileViewError && (e.code === 'ENOENT' || e.code === 'ESRCH')) return false;
      return null;
    }
    const st = parseProcStat(text);
    if (!st) return null;
    if (st.state === 'Z' || st.state === 'X' || st.state === 'x') return false;
    return startTime === null || startTime === st.startTime;
  };

  const readJson = (p: string, skipped: Partial<Record<RuntimeStateSkip, number>>): Record<string, unknown> | null => {
    let buf: Buffer;
    try {
      buf = view.readFile(p, maxBytes);
    } catch (e) {
      const code = e instanceof FileViewError ? e.code : 'EIO';
      bump(skipped, code === 'EFBIG' ? 'too-large' : code === 'ELOOP' ? 'symlink-loop' : 'unreadable');
      return null;
    }
    try {
      const v: unknown = JSON.parse(buf.toString('utf8'));
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* below */
    }
    bump(skipped, 'broken-json');
    return null;
  };

  for (const spec of roots) {
    const root = spec.root.replace(/\/+$/, '') || '/';
    if (seenRoots.has(root)) {
      const r = reads.find((x) => x.root === root);
      if (r) for (const u of spec.usedBy) if (!r.usedBy.includes(u)) r.usedBy.push(u);
      continue;
    }
    seenRoots.add(root);
    const read: RuntimeRootRead = { root, usedBy: [...spec.usedBy], exists: false, entries: 0, holdings: 0, skipped: {}, truncated: false, error: null };
    reads.push(read);
    let names: Buffer[];
    let kinds: EntryKind[] | null = null;
    try {
      const st = view.stat(root);
      if (!st) continue;
      if (st.kind !== 'dir') {
        read.error = `${root} is not a directory`;
        continue;
      }
      read.exists = true;
      const bounded = opts.listDir?.(root, maxEntries) ?? null;
      if (bounded) {
        names = bounded.names;
        kinds = bounded.kinds;
        if (bounded.more) {
          read.truncated = true;
          bump(read.skipped, 'over-limit');
        }
      } else {
        names = view.readdirRaw(root);
        if (names.length > maxEntries) {
          read.truncated = true;
          bump(read.skipped, 'over-limit');
        }
      }
    } catch (e) {
      read.error = e instanceof Error ? e.message : String(e);
      continue;
    }
    read.entries = Math.min(names.length, maxEntries);
    for (let i = 0; i < read.entries; i++) {
      const raw = names[i] as Buffer;
      const id = raw.toString('utf8');
      if (!ID_NAME.test(id)) {
        bump(read.skipped, 'not-a-directory');
        continue;
      }
      const dir = `${root}/${id}`;
      // d_type says "not a directory": skipped without a system call
      const known = kinds?.[i];
      if (known === 'other') {
        bump(read.skipped, 'not-a-directory');
        continue;
      }
      let kind: string | null;
      try {
        kind = known === 'dir' ? 'dir' : (view.stat(dir)?.kind ?? null);
      } catch (e) {
        bump(read.skipped, e instanceof FileViewError && e.code === 'ELOOP' ? 'symlink-loop' : 'unreadable');
        continue;
      }
      if (kind !== 'dir') {
        bump(read.skipped, 'not-a-directory');
        continue;
      }
      let family: RuntimeFamily | null = null;
      try {
        const hasRunc = view.lstat(`${dir}/state.json`) !== null;
        const hasCrun = view.lstat(`${dir}/status`) !== null;
        family = hasRunc && hasCrun ? (spec.family ?? 'runc') : hasRunc ? 'runc' : hasCrun ? 'crun' : null;
      } catch (e) {
        bump(read.skipped, e instanceof FileViewError && e.code === 'ELOOP' ? 'symlink-loop' : 'unreadable');
        continue;
      }
      if (!family) {
        bump(read.skipped, 'no-state-file');
        continue;
      }
      let h: RuntimeHolding | null = null;
      if (family === 'runc') {
        const o = readJson(`${dir}/state.json`, read.skipped);
        if (!o) continue;
        if (typeof o.id === 'string' && o.id !== id) {
          bump(read.skipped, 'id-mismatch');
          continue;
        }
        const labels = new Map<string, string>();
        const cfg = o.config as { labels?: unknown } | undefined;
        if (cfg && Array.isArray(cfg.labels)) {
          for (const l of cfg.labels) {
            if (typeof l !== 'string') continue;
            const eq = l.indexOf('=');
            if (eq > 0) labels.set(l.slice(0, eq), l.slice(eq + 1));
          }
        }
        const pid = posInt(o.init_process_pid);
        const start = posInt(o.init_process_start);
        h = {
          id,
          root,
          family,
          pid,
          startTime: start,
          bundle: labels.get('bundle') ?? null,
          created: strOrNull(o.created),
          ...fromAnnotations((k) => labels.get(k)),
          alive: null,
        };
      } else {
        const o = readJson(`${dir}/status`, read.skipped);
        if (!o) continue;
        const pid = posInt(o.pid);
        const start = posInt(o['process-start-time']);
        let ann: Record<string, unknown> = {};
        try {
          if (view.lstat(`${dir}/config.json`)) {
            const spec2 = readJson(`${dir}/config.json`, {});
            const a = spec2?.annotations;
            if (a && typeof a === 'object' && !Array.isArray(a)) ann = a as Record<string, unknown>;
          }
        } catch {
          /* annotations are optional */
        }
        h = {
          id,
          root,
          family,
          pid,
          startTime: start,
          bundle: strOrNull(o.bundle),
          created: strOrNull(o.created),
          ...fromAnnotations((k) => (typeof ann[k] === 'string' ? (ann[k] as string) : undefined)),
          alive: null,
        };
      }
      h.alive = alive(h.pid, h.startTime);
      holdings.push(h);
      read.holdings++;
    }
  }
  return { readAt: new Date((opts.now ?? Date.now)()).toISOString(), procAvailable, roots: reads, holdings };
}
