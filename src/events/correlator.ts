/**
 * Correlator: a pure state machine per container and per pod, fed with classified Events.
 * Time comes only from the events (and the `now` given to queries); nothing reads a clock.
 *
 * Per container: stop requested (A1/B1) -> confirmed exit (conmon exit, PLEG ContainerDied, B13,
 * B3, Removed container) or kill failures (A4, B2/B4/B5/B7, B9-B11). A2 `Stopped container` and
 * A9 are weak: they clear only when no further A4 for the ID follows within the kill backoff
 * maximum (2 min).
 * Stuck Terminating: stop requested, no confirmed exit, and grace + threshold passed, or kill
 * failures still coming 60 s after the grace period, or kubelet reporting the stop/kill failing.
 * Exec loop: >= N permission-denied ExecSync failures in W; clears after a quiet period.
 *
 * All maps are LRU-capped (containers, pods, UID and sandbox indexes) with eviction counters.
 */
import type { EventCounters } from '../core/types.js';
import type { DefaultTimeline, DefaultValue } from './default-timeline.js';
import type { Event, FailureReason } from './event.js';
import { createInterner, createLru, detach, type Lru } from './lru.js';

export interface Thresholds {
  /** stuck when no exit after grace + this (default 2 min) */
  stuckAfterMs: number;
  /** exec loop: this many permission-denied exec failures … (default 3) */
  execLoopCount: number;
  /** … within this window (default 60 s) */
  execLoopWindowMs: number;
  /** a loop clears after this long without failures (default 5 min) */
  execLoopQuietMs: number;
  /** CRI-O's kill backoff maximum: A2 followed by this long without A4 clears (default 2 min) */
  killBackoffMaxMs: number;
  /** kill failures still coming this long after the grace period mean stuck (default 60 s) */
  killLoopAfterGraceMs: number;
  /** window in which kill failures, AppArmor denials, missing handlers stay active findings (default 15 min) */
  recentMs: number;
  /** grace period assumed when no line gave one (default 30 s) */
  defaultGraceS: number;
}

export interface Limits {
  maxContainers: number;
  maxPods: number;
  /** evidence lines kept per container/pod */
  maxEvidence: number;
  /** distinct label values per counter label before folding into "other" */
  maxLabelValues: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  stuckAfterMs: 120_000,
  execLoopCount: 3,
  execLoopWindowMs: 60_000,
  execLoopQuietMs: 300_000,
  killBackoffMaxMs: 120_000,
  killLoopAfterGraceMs: 60_000,
  recentMs: 900_000,
  defaultGraceS: 30,
};

/**
 * A node runs at most a few hundred pods (kubelet's max-pods defaults to 110), so 10,000 containers
 * and 2,000 pods of history is ample; least recently touched entries go first, and a stuck container
 * is touched by every kill failure, so it stays. The caps bound the daemon's memory (bench memory-10m).
 */
export const DEFAULT_LIMITS: Limits = { maxContainers: 10_000, maxPods: 2_000, maxEvidence: 4, maxLabelValues: 16 };

export interface Evidence {
  atMs: number;
  text: string;
}

export interface ContainerState {
  id: string;
  namespace?: string;
  pod?: string;
  podUID?: string;
  name?: string;
  sandboxId?: string;
  firstStopAtMs?: number;
  stopRequests: number;
  /** A1 lines only (a re-request with a new id= is the stuck signature of cri-o/cri-o#7053) */
  crioStopRequests: number;
  graceS?: number;
  exitedAtMs?: number;
  exitCode?: number;
  exitHow?: string;
  weakStoppedAtMs?: number;
  killFailures: number;
  firstKillFailAtMs?: number;
  lastKillFailAtMs?: number;
  /** first kill failure that came later than grace + killLoopAfterGraceMs after the first stop */
  lateKillFailAtMs?: number;
  killReason?: FailureReason;
  runtimePath?: string;
  runtimeRoot?: string;
  /** default runtime in force at the first kill failure */
  defaultAtFailure?: DefaultValue | null;
  kubeletFailures: number;
  firstKubeletFailAtMs?: number;
  lastKubeletFailAtMs?: number;
  defaultAtKubeletFailure?: DefaultValue | null;
  execTotal: number;
  execRecent: number[];
  execLoopSinceMs?: number;
  execLastAtMs?: number;
  execLoopDetected: boolean;
  execLoopFirstAtMs?: number;
  execDefault?: DefaultValue | null;
  /** stop/kill evidence lines (first two + latest) */
  evidence: Evidence[];
  /** exec failure evidence lines */
  execEvidence: Evidence[];
  /** A12/A13: CRI-O could not read its state at a start (the runtime it drives now has none); the latest time */
  stateLostAtMs?: number;
  stateLostReason?: FailureReason;
  /** default runtime in force (after that start) when its state was lost */
  defaultAtStateLost?: DefaultValue | null;
}

export interface PodState {
  key: string;
  namespace: string | null;
  pod: string | null;
  podUID?: string;
  sandboxIds: string[];
  containers: string[];
  deletedAtMs?: number;
  removedAtMs?: number;
  syncErrors: number;
  lastSyncErrorAtMs?: number;
  evidence: Evidence[];
}

export interface CorrelatorStats {
  containers: number;
  pods: number;
  containerEvictions: number;
  podEvictions: number;
  indexEvictions: number;
}

export interface Correlator {
  ingest(ev: Event): void;
  containers(): IterableIterator<ContainerState>;
  pods(): IterableIterator<PodState>;
  podOf(c: ContainerState): PodState | undefined;
  /** earliest time the container counts as stuck (undefined: not stopping) */
  stuckAtMs(c: ContainerState): number | undefined;
  /** time the stop was confirmed / cleared (undefined: not resolved by `now`) */
  resolvedAtMs(c: ContainerState, nowMs: number): number | undefined;
  execLoopActive(c: ContainerState, nowMs: number): boolean;
  stopRpcFailures(): number;
  handlerMissing(): Map<string, { count: number; lastAtMs: number; evidence: Evidence[] }>;
  apparmor(): { count: number; signalDenials: number; lastSignalAtMs?: number; peers: string[]; evidence: Evidence[] };
  reloadFailure(): { atMs: number; error: string; line: string } | null;
  stats(): CorrelatorStats;
  thresholds: Thresholds;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** shared empty arrays, replaced on first write (most containers never fail an exec) */
const EMPTY_TIMES: number[] = [];
const EMPTY_EVIDENCE: Evidence[] = [];

/** evidence lines are cut to this many characters of the journal message */
const EVIDENCE_CHARS = 480;

function addEvidence(list: Evidence[], max: number, ev: Event, note?: string): void {
  // a fresh flat string of bounded size (never a slice that would keep the whole journal message alive)
  // 64-hex IDs are shortened to 12 (the finding names the full container ID once)
  // (ASCII only: one non-Latin-1 character would make V8 store the whole line in two bytes per char)
  const short = ev.line.replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1...');
  const line = short.length > EVIDENCE_CHARS ? short.slice(0, EVIDENCE_CHARS) + '...' : short;
  const text = detach(`${iso(ev.atMs)} ${ev.source}: ${line.split('\n').join(' | ')}${note ? ` [${note}]` : ''}`);
  if (list.length >= max) {
    // keep the first two (how it started) and the latest ones
    list.splice(2, 1);
  }
  list.push({ atMs: ev.atMs, text });
}

/** Folds label values beyond a cap into "other" so Prometheus cardinality stays bounded. */
function createLabelCap(max: number): (v: string) => string {
  const seen = new Set<string>();
  return (v) => {
    const s = v || 'unknown';
    if (seen.has(s)) return s;
    if (seen.size >= max) return 'other';
    seen.add(s);
    return s;
  };
}

/** Drop undefined values so they do not override defaults in a spread. */
function defined<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (o) for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export function runtimeLabel(path: string | undefined): string {
  if (!path) return 'unknown';
  const b = path.slice(path.lastIndexOf('/') + 1);
  return b.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'unknown';
}

export function createCorrelator(opts: {
  timeline: DefaultTimeline;
  thresholds?: Partial<Thresholds>;
  limits?: Partial<Limits>;
  counters?: EventCounters;
}): Correlator {
  const th: Thresholds = { ...DEFAULT_THRESHOLDS, ...defined(opts.thresholds) };
  const lim: Limits = { ...DEFAULT_LIMITS, ...defined(opts.limits) };
  const tl = opts.timeline;
  const counters = opts.counters;
  const capRuntime = createLabelCap(lim.maxLabelValues);
  const capDefault = createLabelCap(lim.maxLabelValues);
  const capOp = createLabelCap(lim.maxLabelValues);
  const capComm = createLabelCap(lim.maxLabelValues);
  const capReason = createLabelCap(lim.maxLabelValues);

  const containers: Lru<string, ContainerState> = createLru(lim.maxContainers);
  const pods: Lru<string, PodState> = createLru(lim.maxPods);
  const podByUid: Lru<string, string> = createLru(lim.maxPods);
  const podBySandbox: Lru<string, string> = createLru(lim.maxPods * 2);
  const handlerMissing = new Map<string, { count: number; lastAtMs: number; evidence: Evidence[] }>();
  const apparmor = { count: 0, signalDenials: 0, lastSignalAtMs: undefined as number | undefined, peers: [] as string[], evidence: [] as Evidence[] };
  let reloadFailure: { atMs: number; error: string; line: string } | null = null;
  let stopRpc = 0;

  /** how containers exited, runtime paths: few distinct values shared by thousands of states */
  const shared = createInterner();
  const defaultLabel = (): string => capDefault(tl.inForce()?.name ?? 'unknown');

  function container(id: string): ContainerState {
    let c = containers.get(id);
    if (!c) {
      id = detach(id);
      c = { id, stopRequests: 0, crioStopRequests: 0, killFailures: 0, kubeletFailures: 0, execTotal: 0, execRecent: EMPTY_TIMES, execLoopDetected: false, evidence: [], execEvidence: EMPTY_EVIDENCE };
      containers.set(id, c);
    }
    return c;
  }

  function podKey(ns: string | undefined, name: string | undefined): string | undefined {
    return ns && name ? `${ns}/${name}` : undefined;
  }

  function pod(ns: string | undefined, name: string | undefined, uid: string | undefined): PodState | undefined {
    let key = podKey(ns, name);
    if (!key && uid) key = podByUid.get(uid);
    if (!key) return undefined;
    let p = pods.get(key);
    if (!p) {
      key = detach(key);
      p = { key, namespace: detach(ns) ?? null, pod: detach(name) ?? null, sandboxIds: [], containers: [], syncErrors: 0, evidence: [] };
      pods.set(key, p);
    }
    if (uid && p.podUID !== uid) {
      uid = detach(uid);
      p.podUID = uid;
      podByUid.set(uid, key);
    }
    return p;
  }

  function link(c: ContainerState, ev: Event): PodState | undefined {
    if (ev.namespace && !c.namespace) c.namespace = detach(ev.namespace);
    if (ev.pod && !c.pod) c.pod = detach(ev.pod);
    if (ev.podUID && !c.podUID) c.podUID = detach(ev.podUID);
    if (ev.container && !c.name) c.name = detach(ev.container);
    if (ev.sandboxId && !c.sandboxId) c.sandboxId = detach(ev.sandboxId);
    if (!c.pod && c.sandboxId) {
      const k = podBySandbox.get(c.sandboxId);
      const p = k ? pods.peek(k) : undefined;
      if (p) {
        c.namespace = p.namespace ?? undefined;
        c.pod = p.pod ?? undefined;
        if (p.podUID) c.podUID ??= p.podUID;
      }
    }
    const p = pod(c.namespace, c.pod, c.podUID);
    if (p) {
      if (!p.containers.includes(c.id)) {
        if (p.containers.length >= 32) p.containers.shift();
        p.containers.push(c.id);
      }
      if (c.sandboxId) addSandbox(p, c.sandboxId);
      if (!c.podUID && p.podUID) c.podUID = p.podUID;
    }
    return p;
  }

  function addSandbox(p: PodState, sid: string): void {
    // the index and the pod share the pod's own copy of the ID (never the event's slice of a message)
    const i = p.sandboxIds.indexOf(sid);
    let own: string;
    if (i >= 0) own = p.sandboxIds[i] as string;
    else {
      if (p.sandboxIds.length >= 4) p.sandboxIds.shift();
      own = detach(sid);
      p.sandboxIds.push(own);
    }
    if (podBySandbox.get(own) !== p.key) podBySandbox.set(own, p.key);
  }

  function podOfContainer(c: ContainerState): PodState | undefined {
    const key = podKey(c.namespace, c.pod) ?? (c.podUID ? podByUid.peek(c.podUID) : undefined);
    return key ? pods.peek(key) : undefined;
  }

  function containerByName(p: PodState, name: string): ContainerState | undefined {
    // newest first: a restarted container has a new ID
    for (let i = p.containers.length - 1; i >= 0; i--) {
      const c = containers.peek(p.containers[i]!);
      if (c && c.name === name) return c;
    }
    return undefined;
  }

  function stopRequested(c: ContainerState, ev: Event): void {
    c.stopRequests++;
    if (c.firstStopAtMs === undefined) c.firstStopAtMs = ev.atMs;
    if (ev.gracePeriodS !== undefined && (c.graceS === undefined || c.stopRequests === 1)) c.graceS = ev.gracePeriodS;
  }

  function grace(c: ContainerState): number {
    return (c.graceS ?? th.defaultGraceS) * 1000;
  }

  function kubeletFailure(c: ContainerState, ev: Event): void {
    c.kubeletFailures++;
    if (c.firstKubeletFailAtMs === undefined) {
      c.firstKubeletFailAtMs = ev.atMs;
      c.defaultAtKubeletFailure = tl.inForce();
    }
    c.lastKubeletFailAtMs = ev.atMs;
    if (c.firstStopAtMs === undefined) c.firstStopAtMs = ev.atMs; // kubelet is stopping it
  }

  const cor: Correlator = {
    thresholds: th,
    ingest(ev) {
      const inForce = tl.inForce();
      if (inForce) {
        ev.defaultRuntime = inForce.name;
        ev.defaultSource = inForce.source;
      }
      switch (ev.kind) {
        case 'crio-start':
          tl.crioStart(ev.atMs, ev.version ?? null);
          reloadFailure = null;
          return;
        case 'reload-watcher':
          tl.startupDone(ev.atMs);
          return;
        case 'reload-start':
          tl.reloadStart(ev.atMs);
          return;
        case 'reload-done':
          tl.reloadDone(ev.atMs);
          reloadFailure = null;
          return;
        case 'reload-failed':
          tl.reloadDone(ev.atMs);
          reloadFailure = { atMs: ev.atMs, error: ev.error ?? '', line: ev.line };
          return;
        case 'config-dump':
          tl.dump(ev.atMs, ev.value, ev.handler ? ev.handler.split(',') : []);
          return;
        case 'default-flag':
          if (ev.value) tl.flag(ev.atMs, ev.value);
          return;
        case 'default-builtin':
          if (ev.value) tl.builtin(ev.atMs, ev.value);
          return;
        case 'config-set':
          if (ev.option === 'default_runtime' && ev.value) tl.set(ev.atMs, ev.value);
          return;
        case 'crio-fatal':
          // a failed start: the config engine reports the cause from the files (config findings)
          return;
        case 'apparmor-denied': {
          apparmor.count++;
          counters?.apparmorDenial(capOp(ev.operation ?? 'unknown'), capComm(ev.comm ?? 'unknown'));
          if (ev.operation === 'signal' && /\b(runc|crun)\b/.test(`${ev.peer ?? ''} ${ev.comm ?? ''}`)) {
            apparmor.signalDenials++;
            apparmor.lastSignalAtMs = ev.atMs;
            const peer = ev.peer ?? ev.comm ?? 'unknown';
            if (!apparmor.peers.includes(peer) && apparmor.peers.length < 8) apparmor.peers.push(detach(peer));
            addEvidence(apparmor.evidence, lim.maxEvidence, ev);
          }
          return;
        }
        case 'handler-missing':
          noteHandlerMissing(ev);
          return;
        default:
          break;
      }
      if (ev.handler && ev.reason === 'handler_missing') noteHandlerMissing(ev);

      // ---- sandbox-level events
      if (ev.kind === 'sandbox-created') {
        const p = pod(ev.namespace, ev.pod, ev.podUID);
        if (p && ev.sandboxId) addSandbox(p, ev.sandboxId);
        return;
      }
      if (ev.kind === 'sandbox-removed') {
        let p: PodState | undefined;
        if (ev.sandboxId) {
          const k = podBySandbox.peek(ev.sandboxId);
          p = k ? pods.peek(k) : undefined;
        } else p = pod(ev.namespace, ev.pod, ev.podUID);
        if (p) p.removedAtMs = ev.atMs;
        return;
      }
      if (ev.kind === 'pod-deleted') {
        const p = pod(ev.namespace, ev.pod, ev.podUID);
        if (p && p.deletedAtMs === undefined) p.deletedAtMs = ev.atMs;
        return;
      }
      if (ev.kind === 'stop-rpc-failed' && ev.rpc === 'StopPodSandbox') {
        stopRpc++;
        counters?.stopRpcFailure('StopPodSandbox', defaultLabel());
        const k = ev.sandboxId ? podBySandbox.peek(ev.sandboxId) : undefined;
        const p = k ? pods.peek(k) : undefined;
        if (p) addEvidence(p.evidence, lim.maxEvidence, ev);
        return;
      }
      if (ev.kind === 'sandbox-kill-failed' || ev.kind === 'sandbox-stop-requested' || ev.kind === 'sandbox-stopped-weak' || ev.kind === 'pod-status-failed') {
        const k = ev.sandboxId ? podBySandbox.peek(ev.sandboxId) : undefined;
        const p = k ? pods.peek(k) : pod(ev.namespace, ev.pod, ev.podUID);
        if (p && ev.kind === 'sandbox-kill-failed') addEvidence(p.evidence, lim.maxEvidence, ev);
        return;
      }
      if (ev.kind === 'pod-sync-error') {
        podSyncError(ev);
        return;
      }
      if (ev.kind === 'probe-errored') {
        // a verdict after the retries, not a separate exec attempt (log-formats.md §7.2)
        return;
      }

      // ---- container-level events
      const id = ev.containerId;
      if (!id) return;
      const c = container(id);
      link(c, ev);
      switch (ev.kind) {
        case 'stop-requested':
          stopRequested(c, ev);
          if (ev.source === 'crio' && ++c.crioStopRequests > 1) addEvidence(c.evidence, lim.maxEvidence, ev, 'stop requested again');
          break;
        case 'kill-failed': {
          c.killFailures++;
          if (c.firstKillFailAtMs === undefined) {
            c.firstKillFailAtMs = ev.atMs;
            c.defaultAtFailure = tl.inForce();
          }
          c.lastKillFailAtMs = ev.atMs;
          if (c.firstStopAtMs === undefined) c.firstStopAtMs = ev.atMs;
          if (c.lateKillFailAtMs === undefined && ev.atMs >= c.firstStopAtMs + grace(c) + th.killLoopAfterGraceMs) c.lateKillFailAtMs = ev.atMs;
          c.killReason = ev.reason ?? 'other';
          if (ev.runtimePath && ev.runtimePath !== c.runtimePath) c.runtimePath = shared(ev.runtimePath);
          if (ev.runtimeRoot && ev.runtimeRoot !== c.runtimeRoot) c.runtimeRoot = shared(ev.runtimeRoot);
          addEvidence(c.evidence, lim.maxEvidence, ev);
          counters?.killFailure(capReason(c.killReason), capRuntime(runtimeLabel(ev.runtimePath)), defaultLabel());
          break;
        }
        case 'kubelet-kill-failed':
          kubeletFailure(c, ev);
          addEvidence(c.evidence, lim.maxEvidence, ev);
          break;
        case 'stop-rpc-failed':
          stopRpc++;
          counters?.stopRpcFailure('StopContainer', defaultLabel());
          kubeletFailure(c, ev);
          addEvidence(c.evidence, lim.maxEvidence, ev);
          break;
        case 'stopped-weak':
          c.weakStoppedAtMs = ev.atMs;
          break;
        case 'container-state-lost':
          // not an exit: CRI-O marks it exited, the process may still run under the runtime that created it
          c.stateLostAtMs = ev.atMs;
          c.stateLostReason = ev.reason ?? 'other';
          c.defaultAtStateLost = tl.inForce();
          addEvidence(c.evidence, lim.maxEvidence, ev);
          break;
        case 'container-exited':
        case 'container-removed':
          if (c.exitedAtMs === undefined) {
            c.exitedAtMs = ev.atMs;
            c.exitCode = ev.exitCode;
            c.exitHow = shared(`${ev.pattern} ${ev.kind === 'container-removed' ? 'removed' : `exit${ev.exitCode !== undefined ? ` status ${ev.exitCode}` : ''}`}`);
            if (c.firstStopAtMs !== undefined) addEvidence(c.evidence, lim.maxEvidence, ev, 'exit confirmed');
          }
          break;
        case 'exec-failed':
          if (ev.reason === 'permission_denied') execDenied(c, ev);
          break;
        default:
          break;
      }
    },
    containers: () => containers.values(),
    pods: () => pods.values(),
    podOf: podOfContainer,
    stuckAtMs(c) {
      if (c.firstStopAtMs === undefined) return undefined;
      let t = c.firstStopAtMs + grace(c) + th.stuckAfterMs;
      if (c.lateKillFailAtMs !== undefined && c.lateKillFailAtMs < t) t = c.lateKillFailAtMs;
      if (c.firstKubeletFailAtMs !== undefined && c.firstKubeletFailAtMs < t) t = c.firstKubeletFailAtMs;
      return t;
    },
    resolvedAtMs(c, nowMs) {
      let best: number | undefined;
      const take = (t: number | undefined): void => {
        if (t !== undefined && t <= nowMs && (best === undefined || t < best)) best = t;
      };
      if (c.exitedAtMs !== undefined) take(c.exitedAtMs);
      // weak evidence (A2): once the kill backoff maximum has passed without a further kill failure,
      // the container is taken as stopped when CRI-O said so
      if (c.weakStoppedAtMs !== undefined && (c.lastKillFailAtMs ?? -Infinity) <= c.weakStoppedAtMs && nowMs >= c.weakStoppedAtMs + th.killBackoffMaxMs) {
        take(c.weakStoppedAtMs);
      }
      const p = podOfContainer(c);
      if (p?.removedAtMs !== undefined && (c.firstStopAtMs === undefined || p.removedAtMs >= c.firstStopAtMs)) take(p.removedAtMs);
      return best;
    },
    execLoopActive(c, nowMs) {
      return c.execLoopSinceMs !== undefined && c.execLastAtMs !== undefined && nowMs - c.execLastAtMs < th.execLoopQuietMs;
    },
    stopRpcFailures: () => stopRpc,
    handlerMissing: () => handlerMissing,
    apparmor: () => apparmor,
    reloadFailure: () => reloadFailure,
    stats: () => ({
      containers: containers.size,
      pods: pods.size,
      containerEvictions: containers.evictions,
      podEvictions: pods.evictions,
      indexEvictions: podByUid.evictions + podBySandbox.evictions,
    }),
  };

  function execDenied(c: ContainerState, ev: Event): void {
    counters?.execPermissionDenied(defaultLabel());
    if (c.execLastAtMs !== undefined && ev.atMs - c.execLastAtMs >= th.execLoopQuietMs) {
      c.execLoopSinceMs = undefined;
      c.execRecent = [];
    }
    c.execTotal++;
    c.execLastAtMs = ev.atMs;
    const from = ev.atMs - th.execLoopWindowMs;
    c.execRecent = c.execRecent.filter((t) => t > from); // always a fresh array (never the shared empty one)
    c.execRecent.push(ev.atMs);
    if (c.execRecent.length > th.execLoopCount) c.execRecent.shift();
    if (c.execRecent.length >= th.execLoopCount && c.execLoopSinceMs === undefined) {
      c.execLoopSinceMs = ev.atMs;
      c.execLoopDetected = true;
      c.execLoopFirstAtMs ??= ev.atMs;
      c.execDefault = tl.inForce();
    }
    if (c.execTotal <= 2 || c.execLoopSinceMs === ev.atMs) {
      if (c.execEvidence === EMPTY_EVIDENCE) c.execEvidence = [];
      addEvidence(c.execEvidence, lim.maxEvidence, ev, 'exec permission denied');
    }
  }

  function noteHandlerMissing(ev: Event): void {
    const h = ev.handler ?? 'unknown';
    let e = handlerMissing.get(h);
    if (!e) {
      if (handlerMissing.size >= 32) return;
      e = { count: 0, lastAtMs: ev.atMs, evidence: [] };
      handlerMissing.set(detach(h), e);
    }
    e.count++;
    e.lastAtMs = ev.atMs;
    addEvidence(e.evidence, lim.maxEvidence, ev);
  }

  function podSyncError(ev: Event): void {
    // B10 (Unhandled Error) names the pod only through the KillPodSandbox target (its UID)
    let uid = ev.podUID;
    for (const a of ev.actions ?? []) if (!uid && a.action === 'KillPodSandbox') uid = a.target;
    const p = pod(ev.namespace, ev.pod, uid);
    if (!p) return;
    if (!ev.duplicate) {
      p.syncErrors++;
      p.lastSyncErrorAtMs = ev.atMs;
      addEvidence(p.evidence, lim.maxEvidence, ev);
    }
    for (const a of ev.actions ?? []) {
      if (!ev.duplicate) counters?.stopRpcFailure(a.action, defaultLabel());
      if (a.action !== 'KillContainer') continue;
      const c = containerByName(p, a.target);
      if (c && c.exitedAtMs === undefined && !ev.duplicate) kubeletFailure(c, ev);
    }
  }

  return cor;
}
