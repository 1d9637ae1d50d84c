/**
 * `crio-sentinel run --demo`: the whole daemon against the bundled example node
 * (examples/nodes/nvidia-default/, found relative to the PACKAGE, not the cwd), with the bundled
 * incident journal (examples/incidents/) replayed in real time, shifted to now: the first entries
 * go in at once, the rest keep their relative offsets. Entries go straight into the daemon's
 * journal sink (no journalctl needed); everything downstream is the production pipeline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { SourceHealth } from '../core/contracts.js';
import type { JournalEntry } from '../journal/entry.js';
import { readJournalFile } from '../journal/file-source.js';
import { eventPipelineFactory, type DaemonDeps, type EntrySink, type JournalSource } from './daemon.js';
import type { RunFlags } from './flags.js';
import type { Logger } from './log.js';

export const DEMO_NODE = 'examples/nodes/nvidia-default';
export const DEMO_INCIDENTS = 'examples/incidents';
/** Most entries the demo replays (the bundled incident has about 150). */
const MAX_DEMO_ENTRIES = 50_000;

/** The package directory (holding package.json named crio-sentinel), from src/ or dist/src/. */
export function packageRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let d = from;
  for (;;) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'crio-sentinel') return d;
    } catch {
      // keep climbing
    }
    const up = path.dirname(d);
    if (up === d) throw new Error(`crio-sentinel package.json not found above ${from}`);
    d = up;
  }
}

/** The incident journal to replay: the first journal-looking file in examples/incidents (sorted). */
export function findIncidentFile(dir: string): string {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    throw new Error(`demo incident directory ${dir} is missing`);
  }
  const pick = names.find((n) => /\.(jsonl|json|export|journal\.txt|txt|log)$/.test(n) && !/^readme/i.test(n));
  if (!pick) throw new Error(`no incident journal (*.jsonl, *.export, *.txt) in ${dir}`);
  return path.join(dir, pick);
}

/** Read the incident's entries (any format the journal parsers accept), sorted by time. */
export async function loadIncident(file: string): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  await readJournalFile(file, {
    entry: (e) => {
      if (entries.length < MAX_DEMO_ENTRIES) entries.push(e);
    },
    skip: () => undefined,
  });
  return entries.map((e, i) => ({ e, i })).sort((a, b) => a.e.realtimeUs - b.e.realtimeUs || a.i - b.i).map((x) => x.e);
}

/**
 * Replay entries in real time shifted to now. `setTimer` is injected so that tests can drive it.
 */
export function createReplaySource(opts: {
  entries: JournalEntry[];
  sink: EntrySink;
  clock: Clock;
  log: Logger;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}): JournalSource & { remaining(): number } {
  const setTimer =
    opts.setTimer ??
    ((fn: () => void, ms: number) => {
      const t = setTimeout(fn, ms);
      t.unref();
      return { cancel: () => clearTimeout(t) };
    });
  const entries = opts.entries;
  let next = 0;
  let timer: { cancel(): void } | null = null;
  let baseMs = 0;
  let shiftUs = 0;
  let lastEntryAtUs: number | null = null;
  let stopped = false;

  const dueAt = (e: JournalEntry): number => (e.realtimeUs + shiftUs) / 1000;

  const pump = (): void => {
    timer = null;
    if (stopped) return;
    const now = opts.clock();
    while (next < entries.length) {
      const e = entries[next];
      if (!e || Math.floor(dueAt(e)) > now) break;
      next++;
      const shifted: JournalEntry = { ...e, realtimeUs: e.realtimeUs + shiftUs };
      lastEntryAtUs = shifted.realtimeUs;
      opts.sink.entry(shifted);
    }
    const upcoming = entries[next];
    if (upcoming) timer = setTimer(pump, Math.max(0, dueAt(upcoming) - opts.clock()));
    else opts.log.info('demo incident replayed completely', { entries: entries.length });
  };

  return {
    async start() {
      baseMs = opts.clock();
      const first = entries[0];
      shiftUs = first ? baseMs * 1000 - first.realtimeUs : 0;
      const last = entries[entries.length - 1];
      opts.log.info('demo incident replay started', {
        entries: entries.length,
        duration_s: first && last ? Math.round((last.realtimeUs - first.realtimeUs) / 1e6) : 0,
      });
      pump();
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      timer = null;
    },
    health(): SourceHealth {
      return { up: true, mode: 'file', restarts: 0, lastEntryAtUs, lastError: null };
    },
    remaining: () => entries.length - next,
  };
}

/** Daemon dependencies for --demo: the bundled node, the replayed incident, fixed demo node facts. */
export async function demoDeps(
  flags: RunFlags,
  ctx: { clock: Clock; log: Logger; pkgRoot?: string },
): Promise<{ deps: DaemonDeps; nodeRoot: string; incident: string }> {
  const pkg = ctx.pkgRoot ?? packageRoot();
  // --root with --demo: the demo incident on a copy of a node tree (which may then be edited live)
  const nodeRoot = flags.rootGiven ? path.resolve(flags.root) : path.join(pkg, DEMO_NODE);
  if (!fs.existsSync(nodeRoot)) {
    throw flags.rootGiven ? new UserError(`--root ${nodeRoot}: no such directory`) : new Error(`demo node ${nodeRoot} is missing from this install`);
  }
  const incident = findIncidentFile(path.join(pkg, DEMO_INCIDENTS));
  const entries = await loadIncident(incident);
  const demoFlags: RunFlags = {
    ...flags,
    root: nodeRoot,
    noJournal: false,
    nodeName: flags.nodeName === os.hostname() ? 'demo-gpu-node' : flags.nodeName,
  };
  const deps: DaemonDeps = {
    flags: demoFlags,
    clock: ctx.clock,
    log: ctx.log,
    createPipeline: eventPipelineFactory,
    createJournal: ({ sink, log, clock }) => createReplaySource({ entries, sink, clock, log }),
    listProcesses: null,
    // the demo node is a GPU node: fixed facts, so the page reads like the real thing
    nodeFacts: {
      osInfo: async () => ({ distro: 'demo node (bundled example)', release: '', kernel: os.release() }),
      graphics: async () => ({
        controllers: Array.from({ length: 8 }, () => ({ vendor: 'NVIDIA Corporation', model: 'NVIDIA H100 80GB HBM3' })),
      }),
    },
    nodeFactsAnyRoot: true,
  };
  ctx.log.info('demo mode', { node: nodeRoot, incident, entries: entries.length });
  return { deps, nodeRoot, incident };
}
