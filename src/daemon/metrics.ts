/**
 * Prometheus metrics of the daemon (docs/metrics.md is the reference; the names are a contract
 * for dashboards and alert rules).
 *
 * - State (config, findings, stuck pods, source health) is computed at scrape time in collect()
 *   from `deps.status()`, so a scrape always shows the same picture as /api/v1/status.
 * - Counters (kill failures, journal entries, reloads …) are incremented through the returned sinks.
 * - Cardinality is bounded by construction: label values pass through bounded label sets
 *   (at most N distinct values per label, then "other"), no container IDs, stuck pods capped.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DaemonStatus, Finding, Provenance, Severity } from '../core/contracts.js';
import type { EventCounters } from '../events/counters.js';
import type { FailureReason } from '../events/event.js';
import { CATALOGUE } from '../findings/catalogue.js';
import { isNvidiaHandler } from '../config/nvidia.js';
import { CONTAINER_RISKS, CONTAINER_STATES, CRI_ERROR_KINDS, type RuntimeStateSkip } from '../containers/types.js';

export interface MetricsDeps {
  /** the current status; called once per scrape */
  status: () => DaemonStatus;
  /** metric name prefix, default "crio_sentinel_" */
  prefix?: string;
  /** collect the process metrics (cpu, memory, fds, event loop); default true */
  processMetrics?: boolean;
  /**
   * Sampling interval of the event-loop lag monitor, ms (default 1000). Each sample wakes the
   * process: prom-client's 10 ms default cost 0.35% of a core while idle, 100 ms about 0.1% (most of
   * the daemon's idle budget of 0.2%), 1000 ms about 0.03%. A block shows when it overlaps a sample,
   * so blocks much shorter than a second are under-reported (docs/metrics.md).
   */
  eventLoopMonitoringPrecisionMs?: number;
}

export interface Metrics {
  registry: Registry;
  events: EventCounters;
  journal: { entry(unit: string): void; skip(reason: string): void; stateRestoreFailure(reason: string): void };
  config: { reload(result: 'success' | 'failure'): void };
}

/** Limits that keep the series count bounded whatever the node throws at us. */
export const METRIC_LIMITS = {
  /** distinct values per free-text label (reason, runtime, comm, operation …) before "other" */
  labelValues: 16,
  /** longest label value kept; longer values are cut */
  labelLength: 128,
  /** runtime handlers exported by runtime_handler_info */
  handlers: 32,
  /** stuck pods exported by pod_stuck_terminating_seconds (the longest-stuck ones win) */
  stuckPods: 500,
} as const;

export const JOURNAL_UNITS = ['crio', 'kubelet', 'conmon', 'kernel', 'other'] as const;
export const SKIP_REASONS = ['truncated', 'no_message', 'invalid_utf8', 'oversize', 'malformed', 'no_timestamp', 'binary_garbage'] as const;
/** why a persisted journal state was not restored (src/journal/cursor-store.ts, src/events/state-store.ts) */
export const STATE_RESTORE_REASONS = ['corrupt', 'version', 'too_large', 'unreadable'] as const;
export const STOP_RPCS = ['StopContainer', 'StopPodSandbox', 'KillContainer', 'KillPodSandbox'] as const;

const SEVERITY_LEVEL: Record<Severity, number> = { info: 1, warning: 2, critical: 3 };

/** Map a systemd unit / identifier to the bounded `unit` label: crio, kubelet, conmon, kernel or other. */
export function unitLabel(unit: string | null | undefined): (typeof JOURNAL_UNITS)[number] {
  if (!unit) return 'other';
  const u = unit.toLowerCase().replace(/\.(service|scope)$/, '');
  if (u === 'kernel') return 'kernel';
  if (u === 'conmon' || u.startsWith('crio-conmon-') || u.startsWith('conmon')) return 'conmon';
  if (u === 'crio' || u === 'cri-o') return 'crio';
  if (u === 'kubelet') return 'kubelet';
  return 'other';
}

/** The `source_file` label of a provenance: the file path, `builtin`, or `flag:<flag>`. */
export function provenanceLabel(p: Provenance): string {
  if ('file' in p) return p.file;
  if ('flag' in p) return `flag:${p.flag}`;
  return 'builtin';
}

function basename(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i >= 0 ? trimmed.slice(i + 1) : trimmed;
}

function clip(v: string): string {
  return v.length > METRIC_LIMITS.labelLength ? v.slice(0, METRIC_LIMITS.labelLength) : v;
}

/**
 * A bounded set of label values: the first `max` distinct values pass, later ones become "other".
 * State lives in the closure of one metrics instance (no module-level state).
 */
function boundedLabel(max: number, fallback = 'other'): (v: string) => string {
  const seen = new Set<string>();
  return (raw: string) => {
    const v = clip(raw === '' ? 'unknown' : raw);
    if (seen.has(v)) return v;
    if (seen.size >= max) return fallback;
    seen.add(v);
    return v;
  };
}

function isoToSeconds(iso: string | null | undefined): number {
  if (!iso) return 0;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms / 1000 : 0;
}

/** The highest severity among active findings, per id. */
function activeSeverities(findings: Finding[]): Map<string, Severity> {
  const out = new Map<string, Severity>();
  for (const f of findings) {
    const prev = out.get(f.id);
    if (!prev || SEVERITY_LEVEL[f.severity] > SEVERITY_LEVEL[prev]) out.set(f.id, f.severity);
  }
  return out;
}

const SEVERITIES = ['critical', 'warning', 'info'] as const satisfies readonly Severity[];

/**
 * Every kill-failure reason the correlator reports (the `reason` label), for the 0 initialisation.
 * A Record, so that a new FailureReason does not compile until it is listed here.
 */
const KILL_REASON_KEYS: Record<FailureReason, true> = {
  permission_denied: true,
  deadline_exceeded: true,
  handler_missing: true,
  state_missing: true,
  no_such_process: true,
  other: true,
};
const KILL_REASONS = Object.keys(KILL_REASON_KEYS) as FailureReason[];

/**
 * The default runtime in force for runtime operations, as the event counters label it: the runtime
 * layer's default seen in the journal, else the configured one, else the files' (the order of
 * DefaultTimeline.inForce), with the basename of its binary when the files define it.
 */
function knownDefault(st: DaemonStatus): { name: string; binary: string | null } | null {
  const eff = st.config.report?.effective;
  const name = st.events?.crio.runtimeLayerDefault ?? st.events?.crio.configuredDefault ?? eff?.defaultRuntime.name ?? null;
  if (!name) return null;
  const p = eff?.runtimes[name]?.runtimePath;
  return { name, binary: p ? basename(p) : null };
}

export function createMetrics(deps: MetricsDeps): Metrics {
  const prefix = deps.prefix ?? 'crio_sentinel_';
  const registry = new Registry();
  const n = (name: string): string => prefix + name;
  const registers = [registry];
  if (deps.processMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: deps.eventLoopMonitoringPrecisionMs ?? 1000 });
    // prom-client also exports three gauges named *_total (sums of nodejs_active_handles/requests/resources),
    // which `promtool check metrics` rejects ("non-counter metrics should not have _total suffix").
    for (const bad of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      registry.removeSingleMetric(n(bad));
    }
  }

  // One status per scrape: prom-client runs every collect() of a scrape synchronously in one
  // tick, so the first one reads the status and the cache is dropped at the next microtask.
  let cached: DaemonStatus | null = null;
  const status = (): DaemonStatus => {
    if (cached) return cached;
    cached = deps.status();
    queueMicrotask(() => {
      cached = null;
    });
    return cached;
  };

  // ------------------------------------------------------------ build / node
  new Gauge({
    name: n('build_info'),
    help: 'Build information of crio-sentinel; always 1.',
    labelNames: ['version', 'nodejs_version'],
    registers,
    collect() {
      this.reset();
      this.set({ version: clip(status().version), nodejs_version: process.version }, 1);
    },
  });

  new Gauge({
    name: n('node_info'),
    help: 'Facts about the node crio-sentinel runs on; always 1.',
    labelNames: ['node', 'kernel', 'os'],
    registers,
    collect() {
      const node = status().node;
      this.reset();
      this.set({ node: clip(node.name), kernel: clip(node.kernel ?? ''), os: clip(node.os ?? '') }, 1);
    },
  });

  new Gauge({
    name: n('nvidia_gpus'),
    help: 'NVIDIA GPUs found on the node; NaN when unknown (node facts unavailable).',
    registers,
    collect() {
      const gpus = status().node.nvidiaGpus;
      this.set(gpus ?? Number.NaN);
    },
  });

  // ------------------------------------------------------------ configuration (files)
  new Gauge({
    name: n('default_runtime_info'),
    help: 'The default runtime CRI-O resolves from its configuration files, and where it was set (source_file: path, builtin or flag:<flag>); always 1, absent when the configuration cannot be resolved.',
    labelNames: ['runtime', 'runtime_path', 'source_file'],
    registers,
    collect() {
      this.reset();
      const eff = status().config.report?.effective;
      if (!eff) return;
      const name = eff.defaultRuntime.name;
      this.set(
        {
          runtime: clip(name),
          runtime_path: clip(eff.runtimes[name]?.runtimePath ?? ''),
          source_file: clip(provenanceLabel(eff.defaultRuntime.source)),
        },
        1,
      );
    },
  });

  new Gauge({
    name: n('default_runtime_is_nvidia'),
    help: '1 when the effective default runtime is the NVIDIA wrapper, else 0.',
    registers,
    collect() {
      const eff = status().config.report?.effective;
      if (!eff) {
        this.set(0);
        return;
      }
      const name = eff.defaultRuntime.name;
      const h = eff.runtimes[name];
      const nvidia = h ? h.isNvidia : isNvidiaHandler(name, '');
      this.set(nvidia ? 1 : 0);
    },
  });

  new Gauge({
    name: n('runtime_handler_info'),
    help: 'One series per runtime handler the configuration files define; always 1.',
    labelNames: ['handler', 'runtime_path', 'runtime_type', 'runtime_root', 'nvidia'],
    registers,
    collect() {
      this.reset();
      const eff = status().config.report?.effective;
      if (!eff) return;
      const names = Object.keys(eff.runtimes).sort().slice(0, METRIC_LIMITS.handlers);
      for (const h of names) {
        const r = eff.runtimes[h];
        if (!r) continue;
        this.set(
          {
            handler: clip(h),
            runtime_path: clip(r.runtimePath),
            runtime_type: clip(r.runtimeType),
            runtime_root: clip(r.runtimeRoot),
            nvidia: r.isNvidia ? 'true' : 'false',
          },
          1,
        );
      }
    },
  });

  new Gauge({
    name: n('crio_would_start'),
    help: '1 when CRI-O would start with the configuration on disk, else 0; NaN when the configuration was too large to evaluate (finding config-not-evaluated).',
    registers,
    collect() {
      const r = status().config.report;
      // not evaluated is not "will not start": NaN never matches the CrioWillNotStart alert's == 0
      this.set(r && !r.evaluated ? NaN : r?.crioWouldStart ? 1 : 0);
    },
  });

  new Gauge({
    name: n('config_drift'),
    help: '1 when the files resolve to a different default runtime or runtime set than the running CRI-O.',
    registers,
    collect() {
      this.set(status().drift ? 1 : 0);
    },
  });

  const reloads = new Counter({
    name: n('config_reloads_total'),
    help: 'Re-evaluations of the CRI-O configuration by crio-sentinel, by result.',
    labelNames: ['result'],
    registers,
  });
  reloads.inc({ result: 'success' }, 0);
  reloads.inc({ result: 'failure' }, 0);

  new Gauge({
    name: n('config_last_reload_timestamp_seconds'),
    help: 'Unix time of the last configuration evaluation; 0 before the first.',
    registers,
    collect() {
      this.set(isoToSeconds(status().config.lastReloadAt));
    },
  });

  // ------------------------------------------------------------ findings
  new Gauge({
    name: n('finding_active'),
    help: '1 when the finding is active, else 0; one series per catalogue id. severity is the catalogue default (stable label); see finding_severity for raised severities.',
    labelNames: ['id', 'severity'],
    registers,
    collect() {
      const active = activeSeverities(status().findings);
      for (const e of CATALOGUE) this.set({ id: e.id, severity: e.severity }, active.has(e.id) ? 1 : 0);
    },
  });

  new Gauge({
    name: n('finding_severity'),
    help: 'Severity of the finding as currently raised: 0 inactive, 1 info, 2 warning, 3 critical; one series per catalogue id.',
    labelNames: ['id'],
    registers,
    collect() {
      const active = activeSeverities(status().findings);
      for (const e of CATALOGUE) {
        const s = active.get(e.id);
        this.set({ id: e.id }, s ? SEVERITY_LEVEL[s] : 0);
      }
    },
  });

  new Gauge({
    name: n('findings_active'),
    help: 'Active findings by their severity as raised now (the severity the status page and /api/v1/status show); one series per severity.',
    labelNames: ['severity'],
    registers,
    collect() {
      const counts: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
      for (const f of status().findings) counts[f.severity]++;
      for (const sev of SEVERITIES) this.set({ severity: sev }, counts[sev]);
    },
  });

  // ------------------------------------------------------------ events (counters through sinks)
  const reasonLabel = boundedLabel(METRIC_LIMITS.labelValues);
  const runtimeLabel = boundedLabel(METRIC_LIMITS.labelValues);
  const defaultRuntimeLabel = boundedLabel(METRIC_LIMITS.labelValues);
  const operationLabel = boundedLabel(METRIC_LIMITS.labelValues);
  const commLabel = boundedLabel(METRIC_LIMITS.labelValues);

  // The event counters start at 0 for the label sets known at scrape time (the default runtime in
  // force and its binary), so a healthy node shows 0 instead of no series. AppArmor denials are not
  // initialised: operation and comm are free text from the kernel line.
  const killFailures = new Counter({
    name: n('container_kill_failures_total'),
    help: 'Failed container kills seen in the journal, by reason, runtime binary (basename) and the default runtime in force.',
    labelNames: ['reason', 'runtime', 'default_runtime'],
    registers,
    collect() {
      const known = knownDefault(status());
      if (!known) return;
      const labels = { runtime: runtimeLabel(known.binary ?? 'unknown'), default_runtime: defaultRuntimeLabel(known.name) };
      for (const reason of KILL_REASONS) this.inc({ reason: reasonLabel(reason), ...labels }, 0);
    },
  });
  const stopRpcFailures = new Counter({
    name: n('stop_rpc_failures_total'),
    help: 'Failed stop/kill CRI RPCs reported by kubelet, by RPC and the default runtime in force.',
    labelNames: ['rpc', 'default_runtime'],
    registers,
    collect() {
      const known = knownDefault(status());
      if (!known) return;
      for (const rpc of STOP_RPCS) this.inc({ rpc, default_runtime: defaultRuntimeLabel(known.name) }, 0);
    },
  });
  const execDenied = new Counter({
    name: n('exec_permission_denied_total'),
    help: 'Exec/probe failures with permission denied, by the default runtime in force.',
    labelNames: ['default_runtime'],
    registers,
    collect() {
      const known = knownDefault(status());
      if (known) this.inc({ default_runtime: defaultRuntimeLabel(known.name) }, 0);
    },
  });
  const apparmor = new Counter({
    name: n('apparmor_denials_total'),
    help: 'Kernel AppArmor denials, by operation and command.',
    labelNames: ['operation', 'comm'],
    registers,
  });

  const rpcSet = new Set<string>(STOP_RPCS);

  const events: EventCounters = {
    killFailure(reason, runtime, defaultRuntime) {
      killFailures.inc({
        reason: reasonLabel(reason),
        runtime: runtimeLabel(basename(runtime)),
        default_runtime: defaultRuntimeLabel(defaultRuntime),
      });
    },
    stopRpcFailure(rpc, defaultRuntime) {
      stopRpcFailures.inc({ rpc: rpcSet.has(rpc) ? rpc : 'other', default_runtime: defaultRuntimeLabel(defaultRuntime) });
    },
    execPermissionDenied(defaultRuntime) {
      execDenied.inc({ default_runtime: defaultRuntimeLabel(defaultRuntime) });
    },
    apparmorDenial(operation, comm) {
      apparmor.inc({ operation: operationLabel(operation), comm: commLabel(comm) });
    },
  };

  new Gauge({
    name: n('exec_loops'),
    help: 'Containers in which a permission-denied exec loop was detected, active or ended, among the containers the daemon remembers; see exec_loops_active for the loops going on now.',
    registers,
    collect() {
      const ev = status().events;
      this.set(ev ? ev.totals.execPermissionDenied.loops : 0);
    },
  });

  new Gauge({
    name: n('exec_loops_active'),
    help: 'Containers whose exec probes fail with permission denied in a loop now (a loop ends after the quiet period without failures); one exec-permission-denied-loop finding each.',
    registers,
    collect() {
      // the correlator's count over every container it remembers, not the bounded lists
      const ev = status().events;
      this.set(ev ? ev.totals.execPermissionDenied.activeLoops : 0);
    },
  });

  new Gauge({
    name: n('pods_stuck_terminating'),
    help: 'Pods currently stuck in Terminating on this node.',
    registers,
    collect() {
      const ev = status().events;
      // the totals count every stuck pod, also those beyond the snapshot's bounded list
      this.set(ev ? ev.totals.stuckTerminating.stuck : 0);
    },
  });

  new Gauge({
    name: n('pod_stuck_terminating_seconds'),
    help: `Seconds since the first stop request of each pod currently stuck in Terminating (at most ${METRIC_LIMITS.stuckPods} series, longest first); a series disappears when the pod resolves.`,
    labelNames: ['namespace', 'pod'],
    registers,
    collect() {
      this.reset();
      const ev = status().events;
      if (!ev) return;
      const byPod = new Map<string, { namespace: string; pod: string; seconds: number }>();
      for (const p of ev.stuckTerminating) {
        if (p.resolved) continue;
        const namespace = clip(p.namespace ?? 'unknown');
        // never a container ID: pods the journal did not name share one "unknown" series (the longest stuck)
        const pod = clip(p.pod ?? p.podUID ?? 'unknown');
        const key = `${namespace}\u0000${pod}`;
        const prev = byPod.get(key);
        if (!prev || p.stuckSeconds > prev.seconds) byPod.set(key, { namespace, pod, seconds: p.stuckSeconds });
      }
      const rows = [...byPod.values()].sort((a, b) => b.seconds - a.seconds).slice(0, METRIC_LIMITS.stuckPods);
      for (const r of rows) this.set({ namespace: r.namespace, pod: r.pod }, r.seconds);
    },
  });

  // ------------------------------------------------------------ journal source
  new Gauge({
    name: n('journal_up'),
    help: '1 when the journal source is up, else 0 (also 0 when deliberately off; see /readyz).',
    registers,
    collect() {
      this.set(status().sources.journal.up ? 1 : 0);
    },
  });

  // counted per record (a catch-up reads about 100 000 a second): into a plain table, added to the
  // counter when it is read (collect), instead of a labelled inc() per record; the unit's label
  // is remembered per unit name (few distinct names)
  const pendingEntries = new Map<string, number>(JOURNAL_UNITS.map((u) => [u, 0]));
  const labelOfUnit = new Map<string, (typeof JOURNAL_UNITS)[number]>();
  const journalEntries = new Counter({
    name: n('journal_entries_total'),
    help: 'Journal entries read, by unit (crio, kubelet, conmon, kernel, other).',
    labelNames: ['unit'],
    registers,
    collect() {
      for (const [u, k] of pendingEntries) {
        if (k === 0) continue;
        this.inc({ unit: u }, k);
        pendingEntries.set(u, 0);
      }
    },
  });
  for (const u of JOURNAL_UNITS) journalEntries.inc({ unit: u }, 0);

  const journalSkipped = new Counter({
    name: n('journal_skipped_total'),
    help: 'Journal records skipped, by reason.',
    labelNames: ['reason'],
    registers,
  });
  for (const r of SKIP_REASONS) journalSkipped.inc({ reason: r }, 0);
  const skipSet = new Set<string>(SKIP_REASONS);

  const stateRestoreFailures = new Counter({
    name: n('journal_state_restore_failures_total'),
    help: 'Persisted journal states (--state-dir/journal.state) that could not be restored at start, by reason; the daemon then started with an empty event state.',
    labelNames: ['reason'],
    registers,
  });
  for (const r of STATE_RESTORE_REASONS) stateRestoreFailures.inc({ reason: r }, 0);
  const stateReasonSet = new Set<string>(STATE_RESTORE_REASONS);

  new Counter({
    name: n('journal_restarts_total'),
    help: 'Restarts of the journal follower (journalctl) since crio-sentinel started.',
    registers,
    collect() {
      this.reset();
      this.inc(Math.max(0, status().sources.journal.restarts));
    },
  });

  new Gauge({
    name: n('journal_last_entry_timestamp_seconds'),
    help: 'Unix time of the newest journal entry read; 0 before the first.',
    registers,
    collect() {
      const us = status().sources.journal.lastEntryAtUs;
      this.set(us === null ? 0 : us / 1e6);
    },
  });

  // ------------------------------------------------------------ CRI-O API
  new Gauge({
    name: n('crio_api_up'),
    help: '1 when the CRI-O socket answered the last request, else 0.',
    registers,
    collect() {
      this.set(status().sources.crioApi.up ? 1 : 0);
    },
  });

  // ------------------------------------------------------------ containers (CRI + runtime roots; no container IDs)
  new Gauge({
    name: n('cri_up'),
    help: '1 when the last CRI poll (gRPC runtime.v1 on the CRI-O socket) succeeded, else 0 (also 0 when the CRI source is off).',
    registers,
    collect() {
      this.set(status().sources.cri?.up ? 1 : 0);
    },
  });
  new Counter({
    name: n('cri_poll_failures_total'),
    help: 'Failed CRI polls by kind: unreachable, timeout, not-crio, garbage, too-large, rpc-error.',
    labelNames: ['kind'],
    registers,
    collect() {
      this.reset();
      const f = status().sources.cri?.failures ?? {};
      for (const k of CRI_ERROR_KINDS) this.inc({ kind: k }, f[k] ?? 0);
    },
  });
  new Gauge({
    name: n('cri_last_success_timestamp_seconds'),
    help: 'Unix time of the last successful CRI poll; 0 before the first.',
    registers,
    collect() {
      this.set(isoToSeconds(status().sources.cri?.lastSuccessAt));
    },
  });
  new Gauge({
    name: n('containers'),
    help: 'Containers CRI-O lists, by CRI state, plus not-in-cri: held by a runtime root but not listed by CRI-O (last poll).',
    labelNames: ['state'],
    registers,
    collect() {
      const m = status().containers?.model;
      for (const s of CONTAINER_STATES) this.set({ state: s }, m ? m.counts.byState[s] : 0);
    },
  });
  new Gauge({
    name: n('containers_at_risk'),
    help: 'Containers by runtime risk class (will-change-runtime, driven-by-other-runtime, orphaned-in-runtime, unknown-to-crio); a container may count in several.',
    labelNames: ['risk'],
    registers,
    collect() {
      const m = status().containers?.model;
      for (const r of CONTAINER_RISKS) this.set({ risk: r }, m ? m.counts.atRisk[r] : 0);
    },
  });
  new Gauge({
    name: n('pods_at_risk'),
    help: 'Pods with at least one container at runtime risk (last poll).',
    registers,
    collect() {
      this.set(status().containers?.model?.podsAtRiskTotal ?? 0);
    },
  });
  const RUNTIME_SKIPS: readonly RuntimeStateSkip[] = ['not-a-directory', 'no-state-file', 'unreadable', 'too-large', 'broken-json', 'id-mismatch', 'symlink-loop', 'over-limit'];
  new Gauge({
    name: n('runtime_state_skipped'),
    help: 'Entries of the runtime roots skipped at the last read, by reason (summed over roots).',
    labelNames: ['reason'],
    registers,
    collect() {
      const roots = status().containers?.runtimeState.roots ?? [];
      for (const r of RUNTIME_SKIPS) this.set({ reason: r }, roots.reduce((s, x) => s + (x.skipped[r] ?? 0), 0));
    },
  });

  return {
    registry,
    events,
    journal: {
      entry(unit) {
        let label = labelOfUnit.get(unit);
        if (label === undefined) {
          label = unitLabel(unit);
          if (labelOfUnit.size < 256) labelOfUnit.set(unit, label);
        }
        pendingEntries.set(label, (pendingEntries.get(label) ?? 0) + 1);
      },
      skip(reason) {
        journalSkipped.inc({ reason: skipSet.has(reason) ? reason : 'other' });
      },
      stateRestoreFailure(reason) {
        stateRestoreFailures.inc({ reason: stateReasonSet.has(reason) ? reason : 'corrupt' });
      },
    },
    config: {
      reload(result) {
        reloads.inc({ result: result === 'success' ? 'success' : 'failure' });
      },
    },
  };
}
