/**
 * Which default runtime was in force when (runtime-failure-mechanisms.md §10, log-formats.md §8).
 *
 * Two notions are kept apart:
 * - configured default: what CRI-O reports (startup TOML dump D6, `FLAG: --default-runtime` D7,
 *   `Set config default_runtime to "…"` D10 on reload, the dump after a reload);
 * - runtime-layer default: what CRI-O's runtime layer resolves empty-handler operations with.
 *   It changes only when CRI-O starts (D1): a SIGHUP reload updates the configured default but the
 *   runtime layer keeps the old one until the next restart (observed on 1.31.0).
 * The files view (config engine result) seeds both and is what a restart will apply.
 *
 * Pure: every mutation takes the entry time; memory is bounded (timeline capped).
 */
import type { ConfigReport, Provenance } from '../core/contracts.js';
import { isNvidiaHandler } from '../config/nvidia.js';

export interface DefaultValue {
  name: string;
  /** human-readable origin: "files: /etc/crio/crio.conf.d/99-nvidia.conf line 3", "journal: startup config dump" … */
  source: string;
  atMs: number;
}

export interface TimelineEntry {
  atMs: number;
  defaultRuntime: string;
  source: string;
}

export interface DefaultTimeline {
  /** config engine result changed (files); atMs = when it was read */
  setFiles(report: ConfigReport | null, atMs: number): void;
  crioStart(atMs: number, version: string | null): void;
  startupDone(atMs: number): void;
  reloadStart(atMs: number): void;
  reloadDone(atMs: number): void;
  /** D6 dump */
  dump(atMs: number, defaultRuntime: string | undefined, handlers: string[]): void;
  /** D7 */
  flag(atMs: number, defaultRuntime: string): void;
  /** D5 (debug): default_runtime unset, CRI-O uses its built-in default */
  builtin(atMs: number, defaultRuntime: string): void;
  /** D10 default_runtime */
  set(atMs: number, defaultRuntime: string): void;
  /** the default in force for runtime operations now (runtime layer, else configured, else files) */
  inForce(): DefaultValue | null;
  configured(): DefaultValue | null;
  runtimeLayer(): DefaultValue | null;
  files(): DefaultValue | null;
  entries(): TimelineEntry[];
  version(): string | null;
  lastStartAtMs(): number | null;
  handlers(): string[] | null;
  /** true when the handler name is an NVIDIA wrapper (config report isNvidia, else name prefix) */
  isNvidia(name: string): boolean;
  /** "nvidia (runtime layer since 2025-…: journal: startup config dump; files: … line 3)" */
  describe(v: DefaultValue | null): string;
  /** what the journal taught it (not the files: they are re-read at start), for a daemon restart (src/events/state-store.ts) */
  exportState(): TimelineState;
  importState(s: TimelineState): void;
}

export interface TimelineState {
  layer: DefaultValue | null;
  configured: DefaultValue | null;
  phase: 'unknown' | 'startup' | 'running' | 'reloading';
  version: string | null;
  lastStart: number | null;
  handlers: string[] | null;
  startPending: boolean;
  entries: TimelineEntry[];
}

export function provenanceText(p: Provenance): string {
  if ('file' in p) return p.line !== null ? `${p.file} line ${p.line}` : p.file;
  if ('flag' in p) return `flag ${p.flag}`;
  return 'built-in default';
}

export function createDefaultTimeline(opts: { maxEntries?: number } = {}): DefaultTimeline {
  const maxEntries = opts.maxEntries ?? 256;
  let files: DefaultValue | null = null;
  let report: ConfigReport | null = null;
  let configured: DefaultValue | null = null;
  let layer: DefaultValue | null = null;
  let phase: 'unknown' | 'startup' | 'running' | 'reloading' = 'unknown';
  let version: string | null = null;
  let lastStart: number | null = null;
  let handlers: string[] | null = null;
  let startPending = false;
  const timeline: TimelineEntry[] = [];

  function push(atMs: number, name: string, source: string): void {
    const last = timeline[timeline.length - 1];
    if (last && last.defaultRuntime === name && last.source === source) return;
    if (timeline.length >= maxEntries) timeline.splice(1, 1); // keep the first (seed) entry
    timeline.push({ atMs, defaultRuntime: name, source });
  }

  function withFiles(name: string, journalSource: string): string {
    if (files && files.name === name) return `${journalSource}; ${files.source}`;
    return journalSource;
  }

  const t: DefaultTimeline = {
    setFiles(r, atMs) {
      report = r;
      const d = r?.effective?.defaultRuntime;
      const prev = files;
      files = d ? { name: d.name, source: `files: ${provenanceText(d.source)}`, atMs } : null;
      if (files && (!prev || prev.name !== files.name || prev.source !== files.source)) {
        // the files are what the next start applies; before any journal evidence they are our best guess
        if (!layer && !configured) push(atMs, files.name, files.source);
        else if (layer && layer.name !== files.name) push(atMs, files.name, `${files.source} (pending: applies at the next CRI-O restart)`);
      }
    },
    crioStart(atMs, v) {
      phase = 'startup';
      lastStart = atMs;
      if (v) version = v;
      handlers = null;
      // a start applies what the files say now; the startup dump (>= 1.32) confirms or corrects it
      // (recorded in the timeline when startup ends without a dump, i.e. CRI-O < 1.32)
      const next = configured ?? files;
      startPending = true;
      if (next) {
        layer = { name: next.name, source: withFiles(next.name, 'journal: CRI-O start'), atMs };
        configured = { ...layer };
      }
    },
    startupDone() {
      if (phase === 'startup') phase = 'running';
      if (startPending && layer) push(layer.atMs, layer.name, layer.source);
      startPending = false;
    },
    reloadStart() {
      phase = 'reloading';
    },
    reloadDone() {
      phase = 'running';
    },
    dump(atMs, name, hs) {
      if (hs.length > 0) handlers = hs.slice(0, 64);
      if (!name) return;
      if (phase === 'startup' || phase === 'unknown') {
        const src = withFiles(name, 'journal: startup config dump');
        const changed = !layer || layer.name !== name;
        layer = { name, source: src, atMs };
        configured = { name, source: src, atMs };
        if (changed || startPending || timeline.length === 0 || timeline[timeline.length - 1]!.defaultRuntime !== name) push(atMs, name, src);
        startPending = false;
      } else if (!configured || configured.name !== name) {
        configured = { name, source: withFiles(name, 'journal: config dump after reload'), atMs };
        push(atMs, name, `${configured.source} (configured only; the runtime layer keeps ${layer?.name ?? 'its default'} until CRI-O restarts)`);
      }
    },
    flag(atMs, name) {
      if (!name) return;
      layer = { name, source: 'journal: --default-runtime flag', atMs };
      configured = { ...layer };
      push(atMs, name, layer.source);
    },
    builtin(atMs, name) {
      if (phase === 'reloading') {
        configured = { name, source: 'journal: built-in default (reload)', atMs };
        push(atMs, name, `${configured.source} (configured only; the runtime layer keeps ${layer?.name ?? 'its default'} until CRI-O restarts)`);
        return;
      }
      layer = { name, source: 'journal: built-in default (no default_runtime set)', atMs };
      configured = { ...layer };
      startPending = false;
      push(atMs, name, layer.source);
    },
    set(atMs, name) {
      configured = { name, source: withFiles(name, 'journal: reload (Set config default_runtime)'), atMs };
      push(atMs, name, `${configured.source} (configured only; the runtime layer keeps ${layer?.name ?? 'its default'} until CRI-O restarts)`);
    },
    inForce: () => layer ?? configured ?? files,
    configured: () => configured,
    runtimeLayer: () => layer,
    files: () => files,
    entries: () => timeline.slice(),
    version: () => version ?? report?.crioVersion ?? null,
    lastStartAtMs: () => lastStart,
    handlers: () => handlers,
    isNvidia(name) {
      const h = report?.effective?.runtimes[name];
      if (h) return h.isNvidia;
      return isNvidiaHandler(name, '');
    },
    describe(v) {
      if (!v) return 'unknown (no config report and no CRI-O start/reload lines seen)';
      return `${v.name} (${v.source})`;
    },
    exportState: () => ({ layer, configured, phase, version, lastStart, handlers, startPending, entries: timeline.slice() }),
    importState(st) {
      layer = st.layer;
      configured = st.configured;
      phase = st.phase;
      version = st.version;
      lastStart = st.lastStart;
      handlers = st.handlers;
      startPending = st.startPending;
      timeline.length = 0;
      timeline.push(...st.entries.slice(-maxEntries));
    },
  };
  return t;
}
