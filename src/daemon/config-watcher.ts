/**
 * Live watch of the files the config engine reads: the main file, the drop-in directory
 * (recursively), the wrong `/etc/crio/conf.d/` and the NVIDIA `config.toml`.
 *
 * Two layers, so that watching can never go stale for good:
 *
 * 1. chokidar (fast path). chokidar 4 has no globs, and a directory that does not exist yet cannot
 *    be watched. So each target is watched through the nearest EXISTING ancestor of its parent
 *    directory, with an `ignored` filter that lets through only the targets, their ancestors (so a
 *    directory created later is seen and descended into) and what lies under them. Events are
 *    debounced (trailing, default 100 ms, at most 500 ms after the first) into one
 *    `onChange(paths)` call. chokidar loses a directory that is deleted (or renamed away) and
 *    re-created quickly, and may report that as a mere file change; so when a directory event came
 *    or a target's (or its parent's) inode changed, the chokidar watcher is re-created before the
 *    call, and `restart()` (SIGHUP) re-creates it too.
 * 2. A fingerprint (safety net). Every `pollMs` (default 1 s, stretched so that the walk takes at
 *    most ~2 % of the time) the targets are re-stat'ed in slices that yield to the event loop:
 *    names, kinds, inodes, sizes, mtimes and ctimes, symlink texts. A target of more than
 *    LARGE_TARGET entries (the AppArmor profiles) is walked only every SLOW_EVERY polls. When the fingerprint differs from the one taken right
 *    before the last evaluation, `onChange` is called whatever chokidar said, and a miss re-creates
 *    the chokidar watcher. File times are coarse (a kernel tick), so an evaluation whose
 *    fingerprint contains a time within `RACY_MS` of when the fingerprint was taken is repeated once
 *    the files are older (as git does with "racily clean" index entries).
 *
 * `onChange` may return a promise (the evaluation runs in a worker): calls never overlap; changes
 * seen meanwhile are coalesced into one more call after it settles.
 */
import fs from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from './log.js';

export interface ConfigWatcherOptions {
  /** host root ("/" on the node) */
  root: string;
  /** host paths to watch (files or directories; they need not exist) */
  targets: string[];
  /** called with the changed host paths; a returned promise is awaited before the next call */
  onChange: (changedHostPaths: string[]) => void | Promise<void>;
  log: Logger;
  debounceMs?: number;
  maxWaitMs?: number;
  /** fingerprint poll interval (ms); 0 turns the safety net off. Default 1000. */
  pollMs?: number;
}

export interface ConfigWatcher {
  /** resolves once the initial scan is done (events before that are not reported) */
  start(): Promise<void>;
  /** replace the targets (e.g. CRI-O restarted with another --config-dir) */
  setTargets(targets: string[]): void;
  /** re-create the chokidar watcher (SIGHUP) and re-check the fingerprint */
  restart(): Promise<void>;
  /** the local directories currently watched */
  watched(): string[];
  /** how often the fingerprint found a change chokidar had not reported */
  missed(): number;
  close(): Promise<void>;
}

/** A file time within this of the fingerprint's own time may hide a same-size rewrite in the same tick. */
const RACY_MS = 50;
/** entries the fingerprint walk visits at most (it is a safety net: chokidar still sees the rest) */
const MAX_FINGERPRINT_ENTRIES = 20_000;
const MAX_FINGERPRINT_DEPTH = 8;
/** a target with more entries than this (the AppArmor profiles) is walked only every SLOW_EVERY polls */
const LARGE_TARGET = 64;
const SLOW_EVERY = 10;

function under(root: string, hostPath: string): string {
  return path.join(root, hostPath);
}

function exists(p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Nearest existing ancestor of the target's parent directory (never above the root). */
export function watchBase(localRoot: string, localTarget: string): string {
  let d = path.dirname(localTarget);
  while (!exists(d) && d.length > localRoot.length && d !== path.dirname(d)) d = path.dirname(d);
  return d;
}

/** True when the local path is a target, an ancestor of one, or inside one. */
export function isRelevant(p: string, targets: string[]): boolean {
  const q = p.replace(/\/+$/, '') || '/';
  return targets.some((t) => q === t || t.startsWith(q === '/' ? '/' : q + '/') || q.startsWith(t + '/'));
}

export interface Fingerprint {
  /** one digest per local target */
  digests: Map<string, string>;
  /** entries visited per local target */
  sizes: Map<string, number>;
  /** newest mtime/ctime seen (ms since the epoch) */
  newestMs: number;
  /** entries visited */
  entries: number;
}

/** entries stat'ed between two yields to the event loop */
const FINGERPRINT_SLICE = 256;

/**
 * Fingerprint of the local targets: for each, a digest over what lstat/stat/readlink say of it and
 * (for directories) of everything under it. Synchronous stat calls are far cheaper than promise
 * ones (measured: a 300-entry tree cost ~20 ms of CPU per walk with fs/promises), so the walk is
 * synchronous in slices of FINGERPRINT_SLICE entries with a yield to the event loop in between.
 * Absolute symlink targets are followed under `localRoot`, as the file view does.
 */
export async function fingerprint(localRoot: string, localTargets: string[], reuse?: { from: Fingerprint; targets: Set<string> }): Promise<Fingerprint> {
  const digests = new Map<string, string>();
  const sizes = new Map<string, number>();
  let newestMs = 0;
  let entries = 0;
  let slice = 0;
  const lstat = (p: string): fs.Stats | null => {
    try {
      return fs.lstatSync(p, { throwIfNoEntry: false }) ?? null;
    } catch {
      return null;
    }
  };
  const stat = (p: string): fs.Stats | null => {
    try {
      return fs.statSync(p, { throwIfNoEntry: false }) ?? null;
    } catch {
      return null;
    }
  };
  const stamp = (h: Hash, name: string, st: fs.Stats | null): void => {
    if (!st) {
      h.update(`${name}\0-\n`);
      return;
    }
    if (st.mtimeMs > newestMs) newestMs = st.mtimeMs;
    if (st.ctimeMs > newestMs) newestMs = st.ctimeMs;
    h.update(`${name}\0${st.mode}\0${st.ino}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\n`);
  };
  const visit = async (h: Hash, p: string, depth: number): Promise<void> => {
    if (++entries > MAX_FINGERPRINT_ENTRIES) return;
    if (++slice >= FINGERPRINT_SLICE) {
      slice = 0;
      await new Promise((r) => setImmediate(r));
    }
    const l = lstat(p);
    stamp(h, p, l);
    let st = l;
    if (l?.isSymbolicLink()) {
      let target = '';
      try {
        target = fs.readlinkSync(p);
      } catch {
        /* gone meanwhile */
      }
      h.update(`->${target}\n`);
      st = stat(target.startsWith('/') ? path.join(localRoot, target) : path.resolve(path.dirname(p), target));
      stamp(h, '@', st);
      return; // never descend through a link (loops); the link's own text and target are stamped
    }
    if (!st?.isDirectory() || depth >= MAX_FINGERPRINT_DEPTH) return;
    let names: string[] = [];
    try {
      names = fs.readdirSync(p);
    } catch {
      /* gone or unreadable: the directory's own stamp says so */
    }
    names.sort();
    for (const n of names) {
      if (entries > MAX_FINGERPRINT_ENTRIES) {
        h.update('…truncated\n');
        return;
      }
      await visit(h, path.join(p, n), depth + 1);
    }
  };
  for (const t of localTargets) {
    const kept = reuse?.targets.has(t) ? reuse.from.digests.get(t) : undefined;
    if (kept !== undefined) {
      // a large tree walked only every few polls: its last digest stands in
      digests.set(t, kept);
      sizes.set(t, reuse!.from.sizes.get(t) ?? 0);
      continue;
    }
    const h = createHash('sha1');
    const before = entries;
    await visit(h, t, 0);
    sizes.set(t, entries - before);
    // a parent re-created (or replaced by a link) changes what the target path means
    const parent = stat(path.dirname(t));
    h.update(`parent\0${parent ? `${parent.ino}@${parent.birthtimeMs}` : '-'}\n`);
    digests.set(t, h.digest('hex'));
  }
  return { digests, sizes, newestMs, entries };
}

export function createConfigWatcher(opts: ConfigWatcherOptions): ConfigWatcher {
  const root = path.resolve(opts.root);
  const debounceMs = opts.debounceMs ?? 100;
  const maxWaitMs = opts.maxWaitMs ?? 500;
  const pollMs = opts.pollMs ?? 1000;
  let localTargets: string[] = [];
  let watcher: FSWatcher | null = null;
  let bases = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let pollTimer: NodeJS.Timeout | null = null;
  let firstPendingAt = 0;
  let pending = new Set<string>();
  /** a directory was added or removed since the last call: re-create chokidar */
  let dirEvent = false;
  let closed = false;
  let running: Promise<void> | null = null;
  let again = false;
  /** fingerprint taken right before the last onChange, and whether it was racy */
  let evaluated: Fingerprint | null = null;
  let racy = false;
  /** chokidar events since the last onChange (to tell a chokidar miss from a change it reported) */
  let eventsSinceFire = 0;
  let misses = 0;
  let restartChain: Promise<void> = Promise.resolve();

  const setLocal = (targets: string[]): void => {
    localTargets = [...new Set(targets.filter((t) => t !== '').map((t) => path.resolve(under(root, t))))];
  };
  setLocal(opts.targets);

  const toHost = (local: string): string => {
    const rel = path.relative(root, local);
    return '/' + rel.split(path.sep).join('/');
  };

  /**
   * Identity of each target and its parent: inode and birth time (a directory deleted and
   * re-created at once often gets the same inode number back, never the same birth time).
   */
  const identity = (): string => {
    const id = (p: string): string => {
      const st = fs.statSync(p, { throwIfNoEntry: false });
      return st ? `${st.ino}@${st.birthtimeMs}` : '-';
    };
    return localTargets.map((t) => `${id(t)}:${id(path.dirname(t))}`).join(',');
  };
  let lastIdentity = '';

  const computeBases = (): Set<string> => new Set(localTargets.map((t) => watchBase(root, t)));

  const rearm = (): void => {
    if (!watcher || closed) return;
    const next = computeBases();
    const add = [...next].filter((b) => !bases.has(b));
    const remove = [...bases].filter((b) => !next.has(b));
    if (add.length) watcher.add(add);
    if (remove.length) watcher.unwatch(remove);
    bases = next;
    if (add.length || remove.length) opts.log.debug('config watch roots changed', { watched: [...bases].join(',') });
  };

  /** A new chokidar watcher over the current bases; resolves when its initial scan is done. */
  const openChokidar = async (): Promise<FSWatcher> => {
    bases = computeBases();
    const w = watch([...bases], {
      ignoreInitial: true,
      persistent: true,
      followSymlinks: true,
      atomic: true,
      ignored: (p: string) => !isRelevant(path.resolve(p), localTargets),
    });
    w.on('all', (event, p) => {
      const abs = path.resolve(p);
      if (!isRelevant(abs, localTargets)) return;
      opts.log.debug('config file event', { event, path: toHost(abs) });
      if (event === 'addDir' || event === 'unlinkDir') dirEvent = true;
      eventsSinceFire++;
      schedule(abs);
    });
    w.on('error', (err) => opts.log.warn('config watch error', { err: err instanceof Error ? err.message : String(err) }));
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
    return w;
  };

  /**
   * Replace the chokidar watcher (serialised). The old one is closed FIRST: chokidar shares its
   * fs.watch handles between instances by path, so a new instance opened beside the old one would
   * inherit the stale handle of a directory that was deleted. Changes in the gap are seen by the
   * evaluation that follows (and by the fingerprint).
   */
  const recreate = (why: string): Promise<void> => {
    restartChain = restartChain.then(async () => {
      if (closed) return;
      const old = watcher;
      watcher = null;
      await old?.close().catch(() => undefined);
      try {
        const w = await openChokidar();
        if (closed) {
          await w.close();
          return;
        }
        watcher = w;
        opts.log.debug('config watch re-created', { why, watched: [...bases].join(',') });
      } catch (err) {
        opts.log.warn('config watch could not be re-created; the fingerprint poll still sees changes', {
          err: err instanceof Error ? err.message : String(err),
        });
      }
    });
    return restartChain;
  };

  const fire = (): void => {
    timer = null;
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    const changed = [...pending].map(toHost).sort();
    pending = new Set();
    // chokidar (atomic mode) may report a directory deleted and re-created as a mere file change
    const id = identity();
    const recreateFirst = dirEvent || id !== lastIdentity;
    lastIdentity = id;
    dirEvent = false;
    eventsSinceFire = 0;
    running = (async () => {
      if (recreateFirst) await recreate('a watched directory was added or removed');
      else rearm();
      if (closed) return;
      // the fingerprint is taken BEFORE the evaluation reads the files: a change during the
      // evaluation makes the next poll differ
      const fp = await fingerprint(root, localTargets).catch(() => null);
      const takenAt = Date.now();
      try {
        await opts.onChange(changed);
      } catch (err) {
        opts.log.error('config change handler failed', { err: err instanceof Error ? err.message : String(err) });
      }
      evaluated = fp;
      racy = fp !== null && fp.newestMs >= takenAt - RACY_MS;
    })().finally(() => {
      running = null;
      if (again && !closed) {
        again = false;
        if (!timer) timer = setTimeout(fire, 0);
      }
    });
  };

  const schedule = (localPath: string): void => {
    if (closed) return;
    const now = Date.now();
    if (pending.size === 0) firstPendingAt = now;
    pending.add(localPath);
    if (timer) clearTimeout(timer);
    const wait = Math.max(0, Math.min(debounceMs, firstPendingAt + maxWaitMs - now));
    timer = setTimeout(fire, wait);
  };

  /** The safety net: compare the fingerprint with the evaluated one; fire on a difference. */
  let polls = 0;
  const poll = async (): Promise<number> => {
    if (closed || running || timer || evaluated === null) return 0;
    const t0 = performance.now();
    const base = evaluated;
    const large = ++polls % SLOW_EVERY === 0 ? new Set<string>() : new Set([...base.sizes].filter(([, n]) => n > LARGE_TARGET).map(([t]) => t));
    const fp = await fingerprint(root, localTargets, { from: base, targets: large });
    const took = performance.now() - t0;
    if (closed || running || timer || evaluated === null) return took;
    const changed = [...fp.digests].filter(([t, d]) => evaluated!.digests.get(t) !== d).map(([t]) => t);
    if (changed.length === 0 && !racy) return took;
    if (changed.length > 0 && eventsSinceFire === 0) {
      misses++;
      opts.log.info('config watch missed a change; the fingerprint poll caught it and chokidar is re-created', {
        paths: changed.map(toHost).join(','),
      });
      dirEvent = true;
    }
    for (const t of changed.length ? changed : localTargets) pending.add(t);
    fire();
    return took;
  };

  const loop = (): void => {
    if (closed || pollMs <= 0) return;
    pollTimer = setTimeout(() => {
      poll().then(
        (took) => {
          // the walk takes at most ~2 % of the time
          if (!closed) pollTimer = setTimeout(loop, Math.max(0, took * 50 - pollMs));
        },
        (err: unknown) => {
          opts.log.debug('config fingerprint failed', { err: err instanceof Error ? err.message : String(err) });
          if (!closed) loop();
        },
      );
    }, pollMs);
    pollTimer.unref();
  };

  return {
    async start() {
      lastIdentity = identity();
      watcher = await openChokidar();
      evaluated = await fingerprint(root, localTargets).catch(() => null);
      racy = evaluated !== null && evaluated.newestMs >= Date.now() - RACY_MS;
      opts.log.debug('config watch ready', { watched: [...bases].join(',') });
      loop();
    },
    setTargets(targets) {
      const before = localTargets.join('\0');
      setLocal(targets);
      rearm();
      if (localTargets.join('\0') !== before && evaluated) evaluated = { ...evaluated, digests: new Map(), sizes: new Map() };
    },
    async restart() {
      await recreate('restart requested');
      if (evaluated) racy = true; // re-evaluate on the next poll even when nothing seems changed
    },
    watched: () => [...bases].sort(),
    missed: () => misses,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (pollTimer) clearTimeout(pollTimer);
      timer = null;
      pollTimer = null;
      await restartChain.catch(() => undefined);
      const w = watcher;
      watcher = null;
      if (w) await w.close();
    },
  };
}
