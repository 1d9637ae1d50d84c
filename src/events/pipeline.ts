/**
 * THE event pipeline used by `crio-sentinel scan` and by the daemon:
 *   JournalEntry -> classifier -> Event -> correlator (+ default-runtime timeline) -> snapshot / findings.
 * Pure apart from the injected clock (used only when a snapshot is asked for before any entry).
 */
import type { Clock } from '../core/clock.js';
import type { ConfigReport, EventSnapshot, ListTotal } from '../core/contracts.js';
import type { EventCounters } from './counters.js';
import type { JournalEntry } from '../journal/entry.js';
import { createClassifier, type ClassifierOptions, type ClassifierStats } from './classifier.js';
import { createCorrelator, type Correlator, type CorrelatorStats, type Limits, type Thresholds } from './correlator.js';
import { createDefaultTimeline, type DefaultTimeline } from './default-timeline.js';
import type { Event } from './event.js';
import { stuckPods } from './stuck-pods.js';
import { boundOpenRecords, EVENT_STATE_VERSION, parseEventState, type EventState } from './state-store.js';

export type { EventSnapshot } from '../core/contracts.js';
export type { EventCounters } from './counters.js';

export interface EventPipelineOptions {
  clock: Clock;
  /** the config engine's result (files); seeds the default-runtime timeline */
  config: ConfigReport | null;
  thresholds?: { stuckAfterMs?: number; execLoopCount?: number; execLoopWindowMs?: number; execLoopQuietMs?: number } & Partial<Thresholds>;
  limits?: Partial<Limits> & ClassifierOptions;
  counters?: EventCounters;
  /** called for every classified event (daemon logging, tests) */
  onEvent?: (ev: Event) => void;
}

export interface EventPipelineStats {
  entries: number;
  classifier: ClassifierStats;
  correlator: CorrelatorStats;
}

export interface EventPipeline {
  ingest(entry: JournalEntry): void;
  /** the files changed (config watcher); atMs = when */
  setConfig(config: ConfigReport, atMs: number): void;
  /** evaluate at nowMs (default: the injected clock) */
  snapshot(nowMs?: number): EventSnapshot;
  /** what the findings engine's events detector reads, at nowMs (src/findings/engine.ts) */
  findingsSource(nowMs?: number): { correlator: Correlator; timeline: DefaultTimeline; snapshot: EventSnapshot; nowMs: number };
  /** time of the newest entry ingested (ms), null before any */
  lastEntryAtMs(): number | null;
  stats(): EventPipelineStats;
  /** what open incidents need across a restart, as of the newest entry (src/events/state-store.ts) */
  exportState(): EventState;
  /** JSON.stringify(exportState()), exactly; cheaper (the correlator remembers unchanged containers' JSON) */
  exportStateJson(): string;
  /** load a persisted state into this fresh pipeline; throws StateError (and changes nothing) when it is not valid */
  importState(raw: unknown): void;
  /** a strong exit signal from CRI state (the container is EXITED); see Correlator.confirmExit */
  confirmExit(containerId: string, atMs: number, how: string, exitCode?: number): boolean;
  /** the container no longer exists in CRI-O; see Correlator.confirmGone */
  confirmGone(containerId: string, atMs: number, how: string): boolean;
  /** containers with a stop requested and no confirmed exit (what a CRI poll should look at) */
  openStops(nowMs?: number): string[];
}

/** Most list entries a snapshot carries (bounded output under churn); the totals say what was cut. */
export const MAX_ROWS = 200;

function total(all: number, shown: number): ListTotal {
  return { total: all, shown, truncated: shown < all };
}

export function createEventPipeline(opts: EventPipelineOptions): EventPipeline {
  const timeline = createDefaultTimeline();
  const classifier = createClassifier(opts.limits ?? {});
  const correlator = createCorrelator({ timeline, thresholds: opts.thresholds, limits: opts.limits, counters: opts.counters });
  let entries = 0;
  let lastMs: number | null = null;
  let pendingConfig = opts.config;

  function seed(atMs: number): void {
    if (pendingConfig) {
      timeline.setFiles(pendingConfig, atMs);
      pendingConfig = null;
    }
  }

  const iso = (ms: number): string => new Date(ms).toISOString();

  /** The persisted state with `correlatorPart` in the correlator's place (one key order for exportState and exportStateJson). */
  const stateWith = <C>(correlatorPart: C) => ({
    version: EVENT_STATE_VERSION as typeof EVENT_STATE_VERSION,
    entries,
    lastMs,
    correlator: correlatorPart,
    timeline: timeline.exportState(),
    classifier: { open: boundOpenRecords(classifier.exportState().open) },
  });

  const p: EventPipeline = {
    ingest(entry) {
      entries++;
      const atMs = Math.floor(entry.realtimeUs / 1000);
      if (pendingConfig) seed(atMs);
      if (lastMs === null || atMs > lastMs) lastMs = atMs;
      const ev = classifier.classify(entry);
      if (!ev) return;
      correlator.ingest(ev);
      opts.onEvent?.(ev);
    },
    setConfig(config, atMs) {
      pendingConfig = null;
      timeline.setFiles(config, atMs);
    },
    snapshot(nowMs = opts.clock()) {
      seed(nowMs);
      const killFailures: EventSnapshot['killFailures'] = [];
      const exec: EventSnapshot['execPermissionDenied'] = [];
      for (const c of correlator.containers()) {
        if (c.killFailures > 0) {
          const row: EventSnapshot['killFailures'][number] = { containerId: c.id, count: c.killFailures, reason: c.killReason ?? 'other', runtimePath: c.runtimePath ?? null };
          if (c.namespace) row.namespace = c.namespace;
          if (c.pod) row.pod = c.pod;
          killFailures.push(row);
        }
        if (c.execTotal > 0) {
          const row: EventSnapshot['execPermissionDenied'][number] = { containerId: c.id, count: c.execTotal, loop: c.execLoopDetected, active: correlator.execLoopActive(c, nowMs) };
          if (c.namespace) row.namespace = c.namespace;
          if (c.pod) row.pod = c.pod;
          if (c.name) row.container = c.name;
          exec.push(row);
        }
      }
      killFailures.sort((a, b) => b.count - a.count);
      exec.sort((a, b) => Number(b.loop) - Number(a.loop) || b.count - a.count);
      const stuck = stuckPods(correlator, nowMs).map((s) => ({
        namespace: s.namespace,
        pod: s.pod,
        podUID: s.podUID,
        containerIds: s.containers.map((c) => c.id),
        firstStopAt: iso(s.firstStopAtMs),
        resolved: s.resolvedAtMs !== null,
        stuckSeconds: Math.max(0, Math.round(((s.resolvedAtMs ?? nowMs) - s.firstStopAtMs) / 1000)),
      }));
      stuck.sort((a, b) => Number(a.resolved) - Number(b.resolved));
      const start = timeline.lastStartAtMs();
      const shown = { kill: Math.min(MAX_ROWS, killFailures.length), exec: Math.min(MAX_ROWS, exec.length), stuck: Math.min(MAX_ROWS, stuck.length) };
      return {
        entries,
        killFailures: killFailures.slice(0, MAX_ROWS),
        stopRpcFailures: correlator.stopRpcFailures(),
        execPermissionDenied: exec.slice(0, MAX_ROWS),
        stuckTerminating: stuck.slice(0, MAX_ROWS),
        totals: {
          killFailures: { ...total(killFailures.length, shown.kill), failures: killFailures.reduce((n, k) => n + k.count, 0) },
          execPermissionDenied: {
            ...total(exec.length, shown.exec),
            failures: exec.reduce((n, e) => n + e.count, 0),
            loops: exec.filter((e) => e.loop).length,
            activeLoops: exec.filter((e) => e.active).length,
          },
          stuckTerminating: { ...total(stuck.length, shown.stuck), stuck: stuck.filter((p) => !p.resolved).length },
        },
        defaultRuntimeTimeline: timeline.entries().map((e) => ({ at: iso(e.atMs), defaultRuntime: e.defaultRuntime, source: e.source })),
        crio: {
          version: timeline.version(),
          lastStartAt: start !== null ? iso(start) : null,
          configuredDefault: timeline.configured()?.name ?? null,
          runtimeLayerDefault: timeline.runtimeLayer()?.name ?? null,
          handlers: timeline.handlers(),
        },
      };
    },
    findingsSource(nowMs = opts.clock()) {
      return { correlator, timeline, snapshot: p.snapshot(nowMs), nowMs };
    },
    lastEntryAtMs: () => lastMs,
    stats: () => ({ entries, classifier: classifier.stats(), correlator: correlator.stats() }),
    exportState: () => stateWith(correlator.exportState(lastMs ?? opts.clock())),
    exportStateJson() {
      // exportState's JSON with the correlator's part spliced in (only numbers come before it, so
      // the marker cannot occur earlier)
      const correlatorJson = correlator.exportStateJson(lastMs ?? opts.clock());
      const rest = JSON.stringify(stateWith(0));
      const marker = ',"correlator":0,';
      const at = rest.indexOf(marker);
      return `${rest.slice(0, at)},"correlator":${correlatorJson},${rest.slice(at + marker.length)}`;
    },
    importState(raw) {
      const st = parseEventState(raw);
      entries = st.entries;
      lastMs = st.lastMs;
      timeline.importState(st.timeline);
      correlator.importState(st.correlator);
      classifier.importState(st.classifier, st.correlator.containers.map((c) => c.id));
    },
    confirmExit: (id, atMs, how, exitCode) => correlator.confirmExit(id, atMs, how, exitCode),
    confirmGone: (id, atMs, how) => correlator.confirmGone(id, atMs, how),
    openStops: (nowMs = opts.clock()) => correlator.openStops(nowMs),
  };
  return p;
}
