/**
 * Live watch of the files the config engine reads: the main file, the drop-in directory
 * (recursively), the wrong `/etc/crio/conf.d/` and the NVIDIA `config.toml`.
 *
 * chokidar 4 has no globs, and a directory that does not exist yet cannot be watched. So each
 * target is watched through the nearest EXISTING ancestor of its parent directory, with an
 * `ignored` filter that lets through only the targets, their ancestors (so a directory created
 * later is seen and descended into) and what lies under them. Editors' atomic saves (write to a
 * temp file + rename), deletes and renames all show up as events on the watched directory.
 * Events are debounced (trailing, default 100 ms, at most 500 ms after the first) into one
 * `onChange(paths)` call; after each call the watch roots are re-computed (a root that was
 * removed and re-created is watched again).
 */
import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from './log.js';

export interface ConfigWatcherOptions {
  /** host root ("/" on the node) */
  root: string;
  /** host paths to watch (files or directories; they need not exist) */
  targets: string[];
  onChange: (changedHostPaths: string[]) => void;
  log: Logger;
  debounceMs?: number;
  maxWaitMs?: number;
}

export interface ConfigWatcher {
  /** resolves once the initial scan is done (events before that are not reported) */
  start(): Promise<void>;
  /** replace the targets (e.g. CRI-O restarted with another --config-dir) */
  setTargets(targets: string[]): void;
  /** the local directories currently watched */
  watched(): string[];
  close(): Promise<void>;
}

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

export function createConfigWatcher(opts: ConfigWatcherOptions): ConfigWatcher {
  const root = path.resolve(opts.root);
  const debounceMs = opts.debounceMs ?? 100;
  const maxWaitMs = opts.maxWaitMs ?? 500;
  let localTargets: string[] = [];
  let watcher: FSWatcher | null = null;
  let bases = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let firstPendingAt = 0;
  let pending = new Set<string>();
  let closed = false;

  const setLocal = (targets: string[]): void => {
    localTargets = [...new Set(targets.filter((t) => t !== '').map((t) => path.resolve(under(root, t))))];
  };
  setLocal(opts.targets);

  const toHost = (local: string): string => {
    const rel = path.relative(root, local);
    return '/' + rel.split(path.sep).join('/');
  };

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

  const fire = (): void => {
    timer = null;
    const changed = [...pending].map(toHost).sort();
    pending = new Set();
    rearm();
    try {
      opts.onChange(changed);
    } catch (err) {
      opts.log.error('config change handler failed', { err: err instanceof Error ? err.message : String(err) });
    }
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

  return {
    async start() {
      bases = computeBases();
      const w = watch([...bases], {
        ignoreInitial: true,
        persistent: true,
        followSymlinks: true,
        atomic: true,
        ignored: (p: string) => !isRelevant(path.resolve(p), localTargets),
      });
      watcher = w;
      w.on('all', (event, p) => {
        const abs = path.resolve(p);
        if (!isRelevant(abs, localTargets)) return;
        opts.log.debug('config file event', { event, path: toHost(abs) });
        schedule(abs);
      });
      w.on('error', (err) => opts.log.warn('config watch error', { err: err instanceof Error ? err.message : String(err) }));
      await new Promise<void>((resolve) => w.once('ready', () => resolve()));
      opts.log.debug('config watch ready', { watched: [...bases].join(',') });
    },
    setTargets(targets) {
      setLocal(targets);
      rearm();
    },
    watched: () => [...bases].sort(),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const w = watcher;
      watcher = null;
      if (w) await w.close();
    },
  };
}
