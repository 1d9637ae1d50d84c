/**
 * The daemon: wires the sources (config watcher, journal, CRI-O socket, CRI-O process, node facts)
 * into the pure core (config engine, event pipeline, live findings) and the outputs (metrics,
 * HTTP). Every source is optional and fails alone: a fault degrades that source (visible in
 * /api/v1/status and its metric) and never stops the daemon.
 *
 *   config files --(watcher, debounce)--> resolveConfig --> pipeline.setConfig
 *   journal ------(sink)----------------> metrics.journal.entry + pipeline.ingest
 *   CRI-O socket (poll) --> LiveCrio      CRI-O process (poll) --> engine inputs
 *   status() = report + pipeline.snapshot(now) + live + facts --> findings, drift, readiness
 */
import path from 'node:path';
import type { ConfigInputs } from '../config/inputs.js';
import type { Clock } from '../core/clock.js';
import type { ConfigReport, DaemonStatus, EventSnapshot, LiveCrio, NodeFacts, SourceHealth } from '../core/contracts.js';
import type { FileView } from '../core/file-view.js';
import type { EventCounters } from '../events/counters.js';
import type { JournalEntry } from '../journal/entry.js';
import { VERSION } from '../core/version.js';
import { configWatchPaths, createHostFileView, readVersionHint, resolveConfig, summarizeCrioToml } from '../config/index.js';
import { createEventPipeline } from '../events/pipeline.js';
import { evaluateFindings } from '../findings/engine.js';
import type { EventsSource } from '../findings/detectors/events.js';
import { createMessagePrefilter } from '../events/classifier.js';
import { createJournalFollower } from '../journal/follower.js';
import type { JournalSink } from '../journal/sink.js';
import { journalDirectories } from '../journal/journalctl.js';
import { createCrioClient, type CrioClient } from '../live/crio-client.js';
import type { CriClient } from '../cri/client.js';
import { createContainerSource } from '../cri/source.js';
import { exitSignals } from '../containers/exit-signals.js';
import { compareWithLive } from '../live/compare.js';
import { collectMountedNodeFacts, collectNodeFacts, type MountedFactsDeps, type NodeFactsDeps } from '../live/node-facts.js';
import { findCrioProcess, processInputs, type CrioProcess, type ProcessRecord } from '../live/process.js';
import { createConfigEvaluator } from './config-evaluator.js';
import { createConfigWatcher, type ConfigWatcher } from './config-watcher.js';
import type { EventThresholds, RunFlags } from './flags.js';
import { createHttpServer, type HttpServer } from './http.js';
import type { Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { WebConfig } from './web-config.js';

/** What the daemon needs from the event pipeline (src/events). */
export interface EventPipeline {
  ingest(entry: JournalEntry): void;
  setConfig(report: ConfigReport, atMs: number): void;
  snapshot(nowMs: number): EventSnapshot;
  /** the events detector's input at nowMs (src/findings/engine.ts) */
  findingsSource(nowMs: number): EventsSource;
  /** state for open incidents, persisted with the journal cursor (src/events/state-store.ts) */
  exportState?(): unknown;
  /** JSON.stringify(exportState()), made more cheaply */
  exportStateJson?(): string;
  /** restore it at start; throws (with a `reason`) when it is unusable */
  importState?(state: unknown): void;
  /** containers with a stop requested and no confirmed exit; CRI state can confirm them (src/containers/exit-signals.ts) */
  openStops?(nowMs: number): string[];
  confirmExit?(containerId: string, atMs: number, how: string): boolean;
  confirmGone?(containerId: string, atMs: number, how: string): boolean;
}

export type EventPipelineFactory = (opts: {
  clock: Clock;
  config: ConfigReport | null;
  thresholds: EventThresholds;
  counters: EventCounters;
}) => EventPipeline;

/** Where journal entries go: the same sink for the follower, a file and the demo replay. */
/** Where every journal source delivers: the journal parsers' sink (entries, skips, prefiltered entries). */
export type EntrySink = JournalSink;

/** A journal source (journalctl follower, demo replay). */
export interface JournalSource {
  start(): Promise<void>;
  /** stop and flush the cursor */
  stop(): Promise<void>;
  health(): SourceHealth;
}

/** The consumer state a journal source persists with its cursor and restores at start (see FollowerDeps.checkpoint). */
export interface JournalCheckpoint {
  export(): unknown;
  /** JSON.stringify(export()), made more cheaply */
  exportJson?(): string;
  import(state: unknown): void;
  onRestoreProblem(reason: string, detail: string): void;
}

export type JournalSourceFactory = (opts: { sink: EntrySink; flags: RunFlags; log: Logger; clock: Clock; checkpoint?: JournalCheckpoint }) => JournalSource;

/** The real event pipeline (src/events), with the run flags' thresholds. */
export const eventPipelineFactory: EventPipelineFactory = (o) =>
  createEventPipeline({
    clock: o.clock,
    config: o.config,
    thresholds: o.thresholds,
    counters: o.counters,
  });

/** The real journal source: journalctl following the host journal (or --journal-directory), cursor in --state-dir. */
export const journalFollowerFactory: JournalSourceFactory = ({ sink, flags, log, clock, checkpoint }) => {
  const follower = createJournalFollower({
    ...(checkpoint ? { checkpoint } : {}),
    directories: journalDirectories(path.resolve(flags.root), flags.journalDirectory ?? undefined),
    stateDir: flags.stateDir,
    clock,
    sink,
    // the classifier's cheap prefilter: lines no pattern can use are never decoded (counted as filtered)
    parser: { wantMessage: createMessagePrefilter() },
    log: (level, msg, fields) => log[level](msg, fields),
  });
  return {
    start: async () => follower.start(),
    stop: () => follower.stop(),
    health: () => follower.health(),
  };
};

export interface DaemonDeps {
  flags: RunFlags;
  clock: Clock;
  log: Logger;
  /** host file view; default createHostFileView(flags.root) */
  fileView?: FileView;
  webConfig?: WebConfig | null;
  /** the config engine; default resolveConfig (a seam for fault tests) */
  resolve?: (inputs: ConfigInputs, view: FileView) => ConfigReport;
  createPipeline?: EventPipelineFactory;
  createJournal?: JournalSourceFactory;
  /** CRI-O socket client; default over `<root>/<--crio-socket>` */
  crioClient?: CrioClient;
  /** CRI (gRPC) client on the same socket; default over `<root>/<--crio-socket>` (off in --demo) */
  criClient?: CriClient;
  /** the process table (systeminformation); null = do not look for the CRI-O process */
  listProcesses?: (() => Promise<ProcessRecord[]>) | null;
  readProcFile?: (pid: number, name: 'cmdline' | 'environ') => Buffer | null;
  /** of these pids, those holding the unix socket at this path (src/live/proc-sockets.ts); only with --root=/ */
  socketHolders?: (socketPath: string, pids: number[]) => Set<number> | null;
  /** systeminformation, or fixed facts (demo) */
  nodeFacts?: NodeFactsDeps;
  /** file access for --node-facts=mounted (default: the real /sys and the files under --root) */
  mountedFacts?: MountedFactsDeps;
  /** facts even under a non-"/" root (demo) */
  nodeFactsAnyRoot?: boolean;
  detectCrioVersion?: (root: string) => Promise<string | null>;
  /** debounce of config events (ms) */
  debounceMs?: number;
  /** how often node facts are re-read */
  nodeFactsIntervalMs?: number;
  /**
   * how often the process table is scanned for CRI-O (a scan costs ~50 ms CPU); also scanned on
   * start, on SIGHUP and when the socket goes up or down (CRI-O restarted). Default 5 min.
   */
  processScanIntervalMs?: number;
  /** re-read --web.config.file (SIGHUP); a thrown error keeps the running web config */
  loadWebConfig?: () => WebConfig | null;
  /** a config evaluation taking longer is stopped and counted as a failure (ms); default 10 000 */
  configEvalTimeoutMs?: number;
}

/** start() gave up because stop() was called meanwhile (a SIGTERM during start): not a failure. */
export class DaemonStoppedError extends Error {
  constructor() {
    super('stopped during start');
    this.name = 'DaemonStoppedError';
  }
}

export interface Daemon {
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
  status(): DaemonStatus;
  /** re-read the configuration (SIGHUP), the CRI-O process and socket */
  reload(): Promise<void>;
  /** the entry sink (journal followers, demo replay, tests) */
  sink: EntrySink;
  metrics: Metrics;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** how long start() waits for the first configuration evaluation before it listens anyway */
const FIRST_EVAL_WAIT_MS = 2000;

const OFF_JOURNAL: SourceHealth = { up: false, mode: 'off', restarts: 0, lastEntryAtUs: null, lastError: null };

export function createDaemon(deps: DaemonDeps): Daemon {
  const { flags, clock, log } = deps;
  const root = path.resolve(flags.root);
  // the engine runs in a worker that builds its own FileView from the root (never blocks the loop);
  // an injected engine or file view (tests) runs inline
  const injected = deps.resolve !== undefined || deps.fileView !== undefined;
  const inlineEngine = (): ((i: ConfigInputs) => ConfigReport) => {
    const view = deps.fileView ?? createHostFileView(root);
    const resolve = deps.resolve ?? resolveConfig;
    return (i) => resolve(i, view);
  };
  const evaluator = createConfigEvaluator({
    root,
    timeoutMs: deps.configEvalTimeoutMs,
    ...(injected ? { inline: inlineEngine() } : { fallback: inlineEngine() }),
  });
  const iso = (ms: number): string => new Date(ms).toISOString();

  // ------------------------------------------------------------ state (one closure, no module state)
  let crioVersion: string | null = flags.crioVersion;
  let proc: CrioProcess | null = null;
  let report: ConfigReport | null = null;
  let lastReloadAt: string | null = null;
  let reloadCounts = { success: 0, failure: 0 };
  let configError: string | null = null;
  let api: { up: boolean; lastError: string | null; defaultRuntime: string | null; runtimes: LiveCrio['runtimes']; info: Record<string, unknown> | null } = {
    up: false,
    lastError: 'not read yet',
    defaultRuntime: null,
    runtimes: null,
    info: null,
  };
  let facts: NodeFacts = { name: flags.nodeName, kernel: null, os: null, nvidiaGpus: null, gpuModels: [] };
  let factsHealth: { up: boolean; lastError: string | null } = { up: false, lastError: 'not read yet' };
  let pipeline: EventPipeline | null = null;
  let journal: JournalSource | null = null;
  let journalFault: string | null = null;
  let watcher: ConfigWatcher | null = null;
  let http: HttpServer | null = null;
  const timers: NodeJS.Timeout[] = [];
  let stopping = false;
  let pollInFlight: Promise<void> | null = null;

  const status = (): DaemonStatus => buildStatus();
  const metrics = createMetrics({ status });

  const inputs = (): ConfigInputs => {
    const fromProc = processInputs(proc);
    const i: ConfigInputs = { ...fromProc, crioVersion };
    // the daemon's own --config/--config-dir name CRI-O's files explicitly and win over the process
    if (flags.config !== undefined) i.config = flags.config;
    if (flags.configDir !== undefined) i.configDir = flags.configDir;
    return i;
  };

  /**
   * Run the engine (off the event loop); on a fault keep the last good report. Runs are serialised
   * and results applied in order; a run requested while another waits joins the waiting one.
   */
  let engineTail: Promise<void> = Promise.resolve();
  let engineQueued: Promise<void> | null = null;
  const runEngine = (why: string): Promise<void> => {
    if (engineQueued) return engineQueued;
    const p = engineTail.then(() => {
      engineQueued = null;
      return evaluateOnce(why);
    });
    engineQueued = p;
    engineTail = p.catch(() => undefined);
    return p;
  };
  const evaluateOnce = async (why: string): Promise<void> => {
    if (stopping) return;
    const at = clock();
    try {
      const next = await evaluator.evaluate(inputs());
      if (stopping) return;
      report = next;
      configError = null;
      reloadCounts = { ...reloadCounts, success: reloadCounts.success + 1 };
      metrics.config.reload('success');
      try {
        pipeline?.setConfig(next, at);
      } catch (err) {
        log.error('event pipeline rejected the configuration', { err: errText(err) });
      }
      log.info('configuration evaluated', {
        why,
        default_runtime: next.effective?.defaultRuntime.name ?? null,
        crio_would_start: next.crioWouldStart,
        findings: next.findings.length,
      });
    } catch (err) {
      configError = errText(err);
      reloadCounts = { ...reloadCounts, failure: reloadCounts.failure + 1 };
      metrics.config.reload('failure');
      log.error('configuration evaluation failed; keeping the last good state', { why, err: configError });
    } finally {
      lastReloadAt = iso(at);
      http?.invalidateMetrics();
    }
  };

  // ------------------------------------------------------------ journal sink
  let lastEntryAtUs: number | null = null;
  const sink: EntrySink = {
    entry(e) {
      metrics.journal.entry(e.unit ?? e.identifier ?? 'other');
      if (lastEntryAtUs === null || e.realtimeUs > lastEntryAtUs) lastEntryAtUs = e.realtimeUs;
      try {
        pipeline?.ingest(e);
      } catch (err) {
        log.warn('event pipeline failed on an entry; entry dropped', { err: errText(err), cursor: e.cursor ?? undefined });
      }
      http?.invalidateMetrics();
    },
    skip(reason, detail) {
      metrics.journal.skip(reason);
      log.debug('journal record skipped', { reason, detail });
      http?.invalidateMetrics();
    },
    filtered(unit, identifier, realtimeUs) {
      metrics.journal.entry(unit ?? identifier ?? 'other');
      if (lastEntryAtUs === null || realtimeUs > lastEntryAtUs) lastEntryAtUs = realtimeUs;
      http?.invalidateMetrics();
    },
  };

  // ------------------------------------------------------------ CRI-O socket + process
  /** CRI-O's socket on this machine: its HTTP API, its CRI (gRPC) and the process lookup all mean this one */
  const crioSocketPath = path.join(root, flags.crioSocket);
  const client = deps.crioClient ?? createCrioClient({ socketPath: crioSocketPath });
  // the container source: CRI poll + runtime roots every poll; status/metrics read the last result
  const containerSource = createContainerSource({
    socketPath: crioSocketPath,
    root,
    view: deps.fileView ?? createHostFileView(root),
    clock,
    enabled: !flags.demo || deps.criClient !== undefined,
    ...(deps.criClient ? { client: deps.criClient } : {}),
    log: (level, msg, fields) => log[level](msg, { source: 'cri', ...fields }),
  });

  const pollCrio = async (): Promise<void> => {
    try {
      const toml = await client.getConfig();
      const sum = summarizeCrioToml(toml);
      let info: Record<string, unknown> | null = null;
      let infoErr: string | null = null;
      try {
        info = await client.getInfo();
      } catch (err) {
        infoErr = errText(err);
      }
      if (!api.up) log.info('CRI-O socket up', { default_runtime: sum.defaultRuntime });
      api = { up: true, lastError: infoErr, defaultRuntime: sum.defaultRuntime, runtimes: sum.runtimes, info };
    } catch (err) {
      const e = errText(err);
      if (api.up || api.lastError !== e) log.warn('CRI-O socket unavailable', { err: e });
      api = { up: false, lastError: e, defaultRuntime: null, runtimes: null, info: null };
    }
  };

  let lastScanAt: number | null = null;
  let lastAmbiguity = '';
  const lookupProcess = async (): Promise<boolean> => {
    const list = deps.listProcesses;
    if (list === null || list === undefined) return false;
    lastScanAt = clock();
    try {
      const holders = deps.socketHolders;
      const next = await findCrioProcess({
        listProcesses: list,
        readProcFile: deps.readProcFile ?? (() => null),
        readProc: root === '/',
        socketHolders: holders && root === '/' ? (pids) => holders(crioSocketPath, pids) : undefined,
        onAmbiguous: (pids, chosen, how) => {
          const key = `${pids.join(',')}>${chosen}`;
          if (key === lastAmbiguity) return;
          lastAmbiguity = key;
          log.warn('several CRI-O daemons run; reading the flags of one', { pids: pids.join(' '), chosen, how, socket: crioSocketPath });
        },
      });
      const before = JSON.stringify(processInputs(proc));
      const changedPid = (next?.pid ?? null) !== (proc?.pid ?? null);
      proc = next;
      if (changedPid) log.info(next ? 'CRI-O process found' : 'CRI-O process not found', next ? { pid: next.pid, args: next.args.join(' ') } : {});
      return JSON.stringify(processInputs(proc)) !== before;
    } catch (err) {
      log.debug('process lookup failed', { err: errText(err) });
      return false;
    }
  };

  /** CRI state is a strong exit signal for the journal's open stops (only with a complete model). */
  const confirmExitsFromCri = (): void => {
    const p = pipeline;
    if (!p?.openStops || !p.confirmExit || !p.confirmGone) return;
    try {
      const now = clock();
      const open = p.openStops(now);
      if (open.length === 0) return;
      const model = containerSource.model(report, liveState(null), p.snapshot(now));
      for (const sig of exitSignals(model, open)) {
        if (sig.kind === 'exited' ? p.confirmExit(sig.id, now, sig.how) : p.confirmGone(sig.id, now, sig.how)) {
          log.info('container exit confirmed by CRI state', { container: sig.id.slice(0, 13), how: sig.how });
        }
      }
    } catch (err) {
      log.warn('confirming exits from CRI state failed', { err: errText(err) });
    }
  };

  const refreshLive = async (): Promise<void> => {
    if (pollInFlight) return pollInFlight;
    pollInFlight = (async () => {
      const wasUp = api.up;
      await pollCrio();
      if (!stopping) {
        await containerSource.poll(report, liveState(null));
        confirmExitsFromCri();
      }
      // the CRI-O version was unknown (no flag, no binary here): take it from the journal's start line
      if (crioVersion === null && pipeline && !stopping) {
        const v = pipeline.snapshot(clock()).crio.version;
        if (v) {
          crioVersion = v;
          await runEngine(`CRI-O version ${v} from the journal`);
        }
      }
      const scanDue = lastScanAt === null || clock() - lastScanAt >= (deps.processScanIntervalMs ?? 300_000) || api.up !== wasUp;
      if (scanDue && !stopping && (await lookupProcess()) && !stopping) {
        watcher?.setTargets(configWatchPaths(inputs()));
        await runEngine('CRI-O process flags/env changed');
      }
    })()
      .catch((err: unknown) => log.error('live refresh failed', { err: errText(err) }))
      .finally(() => {
        pollInFlight = null;
        http?.invalidateMetrics();
      });
    return pollInFlight;
  };

  const collectFacts = async (): Promise<void> => {
    if (flags.nodeFacts === 'off') {
      factsHealth = { up: false, lastError: 'node facts off (--node-facts=off)' };
      return;
    }
    if (flags.nodeFacts === 'mounted' && deps.mountedFacts) {
      try {
        const r = collectMountedNodeFacts({ root, nodeName: flags.nodeName, deps: deps.mountedFacts });
        facts = r.facts;
        factsHealth = { up: r.up, lastError: r.lastError };
      } catch (err) {
        factsHealth = { up: false, lastError: errText(err) };
      }
      return;
    }
    const si = deps.nodeFacts;
    if (!si) {
      factsHealth = { up: false, lastError: 'no node facts source' };
      return;
    }
    try {
      const r = await collectNodeFacts({ root: deps.nodeFactsAnyRoot ? '/' : root, nodeName: flags.nodeName, deps: si });
      facts = r.facts;
      factsHealth = { up: r.up, lastError: r.lastError };
    } catch (err) {
      factsHealth = { up: false, lastError: errText(err) };
    }
  };
  const refreshFacts = async (): Promise<void> => {
    await collectFacts();
    http?.invalidateMetrics();
  };

  // ------------------------------------------------------------ status
  const liveState = (events: EventSnapshot | null): LiveCrio => {
    const process = proc;
    if (api.up) {
      return { source: 'api', defaultRuntime: api.defaultRuntime, runtimes: api.runtimes, info: api.info, process, lastError: api.lastError };
    }
    const fromJournal = events?.crio.configuredDefault ?? events?.crio.runtimeLayerDefault ?? null;
    if (fromJournal) {
      return { source: 'journal', defaultRuntime: fromJournal, runtimes: null, info: null, process, lastError: api.lastError };
    }
    return { source: 'none', defaultRuntime: null, runtimes: null, info: null, process, lastError: api.lastError };
  };

  const journalHealth = (): SourceHealth => {
    if (!journal) {
      if (journalFault) return { ...OFF_JOURNAL, mode: 'follow', lastError: journalFault, lastEntryAtUs };
      return { ...OFF_JOURNAL, lastEntryAtUs };
    }
    try {
      const h = journal.health();
      return { ...h, lastEntryAtUs: h.lastEntryAtUs ?? lastEntryAtUs };
    } catch (err) {
      return { up: false, mode: 'follow', restarts: 0, lastEntryAtUs, lastError: errText(err) };
    }
  };

  function buildStatus(): DaemonStatus {
    const now = clock();
    let eventsSource: EventsSource | null = null;
    if (pipeline) {
      try {
        eventsSource = pipeline.findingsSource(now);
      } catch (err) {
        log.error('event snapshot failed', { err: errText(err) });
      }
    }
    const events = eventsSource?.snapshot ?? null;
    const live = liveState(events);
    const cmp = compareWithLive(report, live, events);
    const version = crioVersion ?? events?.crio.version ?? null;
    // the same engine `scan` and `check` call, with every source the daemon has
    const containerModel = containerSource.model(report, live, events);
    const findings = evaluateFindings({
      config: report,
      events: eventsSource,
      live,
      node: facts,
      containers: containerModel,
    });
    const jh = journalHealth();
    const engineRan = lastReloadAt !== null;
    const journalOk = jh.up || jh.mode === 'off';
    const ready = !engineRan
      ? { ok: false, reason: 'the configuration engine has not run yet' }
      : !journalOk
        ? { ok: false, reason: `journal source down${jh.lastError ? `: ${jh.lastError}` : ''}` }
        : { ok: true, reason: jh.mode === 'off' ? 'configuration evaluated; journal deliberately off' : 'configuration evaluated; journal source up' };
    return {
      version: VERSION,
      node: facts,
      generatedAt: iso(now),
      crioVersion: version,
      config: { report, lastReloadAt, reloads: { ...reloadCounts }, lastError: configError },
      live,
      drift: cmp.drift,
      events,
      findings,
      containers: containerSource.status(containerModel),
      sources: {
        journal: jh,
        crioApi: { up: api.up, lastError: api.lastError },
        nodeFacts: { ...factsHealth },
        cri: containerSource.health(),
      },
      ready,
    };
  }

  // ------------------------------------------------------------ lifecycle
  const every = (ms: number, fn: () => Promise<void>): void => {
    const t = setInterval(() => {
      if (!stopping) void fn().catch((err: unknown) => log.error('periodic task failed', { err: errText(err) }));
    }, ms);
    t.unref();
    timers.push(t);
  };

  /** start() in progress: stop() lets it settle first, so that nothing it opens outlives the stop */
  let starting: Promise<unknown> | null = null;
  /** a SIGTERM during start: start() gives up at its next step with DaemonStoppedError */
  const notStopping = (): void => {
    if (stopping) throw new DaemonStoppedError();
  };

  const start = (): Promise<{ url: string; port: number }> => {
    const p = startSteps();
    starting = p;
    return p;
  };

  const startSteps = async (): Promise<{ url: string; port: number }> => {
    if (crioVersion === null) crioVersion = readVersionHint(root);
    if (crioVersion === null && deps.detectCrioVersion) {
      try {
        crioVersion = await deps.detectCrioVersion(root);
      } catch (err) {
        log.debug('CRI-O version detection failed', { err: errText(err) });
      }
    }
    await lookupProcess();
    notStopping();

    // the watcher starts BEFORE the first evaluation: a change made in between is then seen
    watcher = createConfigWatcher({
      root,
      targets: configWatchPaths(inputs()),
      log,
      debounceMs: deps.debounceMs ?? 100,
      onChange: async (paths) => {
        if (stopping) return;
        await runEngine(`files changed: ${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', …' : ''}`);
        void refreshLive();
      },
    });
    try {
      await watcher.start();
    } catch (err) {
      log.error('config watcher failed to start; SIGHUP still re-reads the files', { err: errText(err) });
    }

    // wait for the first evaluation, but not for long: a hostile tree must not keep the daemon from
    // listening (/readyz says not ready until the engine has run; the result reaches the pipeline then)
    const first = runEngine('start');
    await Promise.race([first, new Promise<void>((r) => setTimeout(r, FIRST_EVAL_WAIT_MS).unref())]);
    notStopping();
    if (deps.createPipeline) {
      try {
        // the files seed the default-runtime timeline at the first journal entry, exactly as in `scan`,
        // so a backlog read after start is judged as a post-mortem of the same journal would be
        pipeline = deps.createPipeline({ clock, config: report, thresholds: flags.thresholds, counters: metrics.events });
      } catch (err) {
        log.error('event pipeline failed to start; events are unavailable', { err: errText(err) });
        pipeline = null;
      }
    }

    if (deps.createJournal && !flags.noJournal) {
      try {
        // the event state is saved with the journal cursor and restored from it (a restart never resolves a page)
        const p = pipeline;
        const checkpoint: JournalCheckpoint | undefined =
          p?.exportState && p.importState
            ? {
                export: () => p.exportState!(),
                ...(p.exportStateJson ? { exportJson: () => p.exportStateJson!() } : {}),
                import: (s) => p.importState!(s),
                onRestoreProblem: (reason) => metrics.journal.stateRestoreFailure(reason),
              }
            : undefined;
        journal = deps.createJournal({ sink, flags, log: log.with({ source: 'journal' }), clock, ...(checkpoint ? { checkpoint } : {}) });
        await journal.start();
      } catch (err) {
        journalFault = errText(err);
        log.error('journal source failed to start', { err: journalFault });
      }
    }

    notStopping();
    void refreshLive();
    void refreshFacts();
    every(flags.crioPollMs, refreshLive);
    every(deps.nodeFactsIntervalMs ?? 600_000, refreshFacts);

    http = createHttpServer({
      status,
      registry: metrics.registry,
      webConfig: deps.webConfig ?? null,
      log: (level, msg, fields) => log[level](msg, fields),
    });
    const bound = await http.listen(flags.listen.text);
    notStopping();
    return bound;
  };

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // a start in progress gives up at its next step; what it opened until then is closed below
    await starting?.catch(() => undefined);
    for (const t of timers) clearInterval(t);
    containerSource.close();
    const steps: [string, () => Promise<void>][] = [
      ['journal', async () => journal?.stop()],
      ['watcher', async () => watcher?.close()],
      ['config evaluator', async () => evaluator.close()],
      ['http', async () => http?.close()],
    ];
    await Promise.all(
      steps.map(async ([name, fn]) => {
        try {
          await fn();
        } catch (err) {
          log.warn('stop step failed', { step: name, err: errText(err) });
        }
      }),
    );
    log.info('stopped');
  };

  const reload = async (): Promise<void> => {
    if (stopping) return;
    log.info('reload requested');
    if (deps.loadWebConfig && http) {
      // users removed from the file are refused from now on; cached logins are dropped with the old config
      try {
        http.setWebConfig(deps.loadWebConfig());
      } catch (err) {
        log.error('web config not reloaded; the running one stays', { err: errText(err) });
      }
    }
    await lookupProcess();
    watcher?.setTargets(configWatchPaths(inputs()));
    // a new chokidar watcher: watching is restored whatever happened to the watched directories
    await watcher?.restart().catch((err: unknown) => log.warn('config watch restart failed', { err: errText(err) }));
    await runEngine('reload');
    await Promise.all([pollCrio(), refreshFacts()]);
  };

  return { start, stop, status, reload, sink, metrics };
}
