/**
 * Correlator: a pure state machine per container and per pod, fed with classified Events.
 * Time comes only from the events (and the `now` given to queries); nothing reads a clock.
 *
 * Per container: stop requested (A1/B1) -> confirmed exit or kill failures (A4, B2/B4/B5/B7,
 * B9-B11). Only STRONG evidence confirms an exit: conmon `exited with status` (an OOM kill of the
 * container's own init is one: status 137), PLEG ContainerDied, B13, B3, `Removed container`,
 * `Removed pod sandbox` of the container's own sandbox, and CRI state reported by the daemon
 * (confirmExit / confirmGone). A2 `Stopped container` is weak: it ends a stop only when the
 * container never had a stop or kill failure and was not asked to stop again after it; it never
 * resolves a container by the mere passage of time. `SyncLoop REMOVE` (the API object is gone,
 * also after a force delete) and events of other containers or of a new pod with the same name
 * (a rollout: a new UID) never resolve a stuck container.
 * Stuck Terminating: stop requested, no confirmed exit, and grace + threshold passed, or kill
 * failures still coming 60 s after the grace period, or kubelet reporting the stop/kill failing.
 * Exec loop: >= N permission-denied ExecSync failures in W; clears after a quiet period.
 *
 * All maps are LRU-capped (containers, pods, UID and sandbox indexes) with eviction counters.
 */
import type { EventCounters } from './counters.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './thresholds.js';

export { DEFAULT_THRESHOLDS, type Thresholds };
import type { DefaultTimeline, DefaultValue } from './default-timeline.js';
import type { Event, FailureReason } from './event.js';
import { createInterner, createLru, detach, type Lru } from './lru.js';

export interface Limits {
  maxContainers: number;
  maxPods: number;
  /** evidence lines kept per container/pod */
  maxEvidence: number;
  /** distinct label values per counter label before folding into "other" */
  maxLabelValues: number;
}


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
  /** the latest stop request (a re-request after A2 means the weak A2 was wrong) */
  lastStopAtMs?: number;
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

/**
 * What open incidents need across a daemon restart (src/events/state-store.ts validates it and
 * writes it beside the journal cursor): plain data, bounded by exportState's caps.
 */
export interface CorrelatorState {
  containers: ContainerState[];
  pods: PodState[];
  handlerMissing: [string, { count: number; lastAtMs: number; evidence: Evidence[] }][];
  apparmor: { count: number; signalDenials: number; lastSignalAtMs?: number; peers: string[]; evidence: Evidence[] };
  reloadFailure: { atMs: number; error: string; line: string } | null;
  stopRpc: number;
}

/** Most containers a persisted state carries (open stops first, then exec loops, then recent failures). */
export const MAX_PERSISTED_CONTAINERS = 512;
/** Of those, at most this many live containers without an incident (identity only, for a stop after a restart). */
export const MAX_PERSISTED_LIVE = 128;

export interface Correlator {
  ingest(ev: Event): void;
  containers(): IterableIterator<ContainerState>;
  pods(): IterableIterator<PodState>;
  podOf(c: ContainerState): PodState | undefined;
  /** earliest time the container counts as stuck (undefined: not stopping) */
  stuckAtMs(c: ContainerState): number | undefined;
  /** time the stop was confirmed / cleared (undefined: not resolved by `now`) */
  resolvedAtMs(c: ContainerState, nowMs: number): number | undefined;
  /**
   * A strong exit signal from outside the journal (the CRI source: the container is in state
   * EXITED). Ignored for containers the correlator does not know. Returns true when it changed state.
   */
  confirmExit(containerId: string, atMs: number, how: string, exitCode?: number): boolean;
  /** The container no longer exists (CRI ListContainers no longer has it): a confirmed exit. */
  confirmGone(containerId: string, atMs: number, how: string): boolean;
  /** IDs of containers with a stop requested and no confirmed exit (what a CRI poll should check) */
  openStops(nowMs: number): string[];
  execLoopActive(c: ContainerState, nowMs: number): boolean;
  stopRpcFailures(): number;
  handlerMissing(): Map<string, { count: number; lastAtMs: number; evidence: Evidence[] }>;
  apparmor(): { count: number; signalDenials: number; lastSignalAtMs?: number; peers: string[]; evidence: Evidence[] };
  reloadFailure(): { atMs: number; error: string; line: string } | null;
  stats(): CorrelatorStats;
  /**
   * The state open incidents need, as of `nowMs` (the newest entry's time): containers with a stop
   * not confirmed, exec failures within the quiet period, stop/kill failures or a stuck stop that
   * ended within the recent window (at most `maxContainers`, most important first), their pods,
   * recent missing handlers, AppArmor, the last reload failure and the stop RPC count.
   */
  exportState(nowMs: number, maxContainers?: number): CorrelatorState;
  /**
   * JSON.stringify(exportState(nowMs, maxContainers)), exactly, without the copies: a container's
   * JSON is remembered until something changes it (see `touch`). A catch-up checkpoints every
   * 1000 records with about 200 containers in the state, few of them changed since the last one.
   */
  exportStateJson(nowMs: number, maxContainers?: number): string;
  /** Load a validated state into this (fresh) correlator. */
  importState(s: CorrelatorState): void;
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

  // an evicted container is no candidate of the checkpoint any more (see `candidates`)
  const containers: Lru<string, ContainerState> = createLru(lim.maxContainers, (_id, c) => candidates.delete(c));
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

  /**
   * What the checkpoint (exportState) looks at: every container that is live (no stop, no exit) or
   * was ranked at the last export, and every container changed since. The others rank 0 and are
   * not live, and stay so while nothing changes them: a rank only falls as time goes on, and a stop
   * or an exit is never undone. Every path that changes a container adds it here (touch): container()
   * (all of ingest), confirm(), kubeletFailure() and importState. `settledAtMs` is the latest time
   * a container was left out at; an export at an earlier time walks every container again.
   * Nothing is tracked before the first export (`scan` never exports), and an evicted container
   * leaves the set, so it never holds more than the containers held.
   */
  const candidates = new Set<ContainerState>();
  let candidatesComplete = false;
  let settledAtMs = -Infinity;
  /** a container's JSON as the last checkpoint wrote it; dropped whenever it may change (touch) */
  const containerJson = new WeakMap<ContainerState, string>();
  const touch = (c: ContainerState): void => {
    if (candidatesComplete) candidates.add(c);
    containerJson.delete(c);
  };

  function container(id: string): ContainerState {
    let c = containers.get(id);
    if (!c) {
      id = detach(id);
      c = { id, stopRequests: 0, crioStopRequests: 0, killFailures: 0, kubeletFailures: 0, execTotal: 0, execRecent: EMPTY_TIMES, execLoopDetected: false, evidence: [], execEvidence: EMPTY_EVIDENCE };
      containers.set(id, c);
    }
    touch(c);
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

  function containerByName(p: PodState, name: string, uid?: string): ContainerState | undefined {
    // newest first: a restarted container has a new ID; a pod recreated with the same name (a
    // rollout) has a new UID, and its containers are not the ones the error is about
    for (let i = p.containers.length - 1; i >= 0; i--) {
      const c = containers.peek(p.containers[i]!);
      if (c && c.name === name && (!uid || !c.podUID || c.podUID === uid)) return c;
    }
    return undefined;
  }

  /** A strong exit signal: the first one wins (later ones add nothing). */
  function confirm(c: ContainerState, atMs: number, how: string, exitCode?: number): boolean {
    if (c.exitedAtMs !== undefined) return false;
    touch(c);
    c.exitedAtMs = atMs;
    if (exitCode !== undefined) c.exitCode = exitCode;
    c.exitHow = shared(how);
    return true;
  }

  /** `Removed pod sandbox: <sid>`: the containers of THAT sandbox are gone (not those of a newer pod of the same name). */
  function sandboxGone(p: PodState, sid: string, ev: Event): void {
    for (const id of p.containers) {
      const c = containers.peek(id);
      if (!c) continue;
      const ours = c.sandboxId !== undefined ? c.sandboxId === sid : p.sandboxIds.length === 1 && p.sandboxIds[0] === sid && (!c.podUID || c.podUID === p.podUID);
      if (!ours) continue;
      if (confirm(c, ev.atMs, `${ev.pattern} sandbox removed`) && c.firstStopAtMs !== undefined) addEvidence(c.evidence, lim.maxEvidence, ev, 'exit confirmed');
    }
  }

  function stopRequested(c: ContainerState, ev: Event): void {
    c.stopRequests++;
    if (c.firstStopAtMs === undefined) c.firstStopAtMs = ev.atMs;
    if (c.lastStopAtMs === undefined || ev.atMs > c.lastStopAtMs) c.lastStopAtMs = ev.atMs;
    if (ev.gracePeriodS !== undefined && (c.graceS === undefined || c.stopRequests === 1)) c.graceS = ev.gracePeriodS;
  }

  function grace(c: ContainerState): number {
    return (c.graceS ?? th.defaultGraceS) * 1000;
  }

  function kubeletFailure(c: ContainerState, ev: Event): void {
    touch(c);
    c.kubeletFailures++;
    if (c.firstKubeletFailAtMs === undefined) {
      c.firstKubeletFailAtMs = ev.atMs;
      c.defaultAtKubeletFailure = tl.inForce();
    }
    c.lastKubeletFailAtMs = ev.atMs;
    if (c.firstStopAtMs === undefined) c.firstStopAtMs = ev.atMs; // kubelet is stopping it
  }

  /** The containers a checkpoint keeps, in the map's order (exportState). */
  function persisted(nowMs: number, maxContainers: number): ContainerState[] {
    // A catch-up exports every 1000 records while about 10 000 containers are held: only the
    // candidates are looked at (see `candidates`), in any order; `i` is each one's place in the
    // map's order, which the ranking's ties and the kept list follow.
    if (!candidatesComplete || nowMs < settledAtMs) {
      candidates.clear();
      for (const c of containers.values()) candidates.add(c);
      candidatesComplete = true;
      settledAtMs = -Infinity;
    }
    const ranked: { c: ContainerState; rank: number; at: number; i: number }[] = [];
    // containers with no exit seen and no stop: the newest are kept while room is left, so that a
    // stop after the restart still knows the pod and sandbox of a container created before it
    const live: { c: ContainerState; i: number }[] = [];
    for (const c of candidates) {
      const i = containers.orderOf(c.id, c);
      if (i < 0) {
        candidates.delete(c); // evicted (or replaced by a newer state of the same ID, itself a candidate)
        continue;
      }
      const kill = c.lastKillFailAtMs;
      const kubelet = c.lastKubeletFailAtMs;
      const lastFail = kill === undefined ? (kubelet === undefined ? -Infinity : kubelet) : kubelet === undefined || kill >= kubelet ? kill : kubelet;
      let rank = 0;
      if (c.firstStopAtMs !== undefined && cor.resolvedAtMs(c, nowMs) === undefined) rank = 3;
      else if (c.execLastAtMs !== undefined && nowMs - c.execLastAtMs < th.execLoopQuietMs) rank = 2;
      // failures within the recent window, or a stop that WAS stuck and ended within it (an ordinary stop is not kept)
      else if (nowMs - lastFail <= th.recentMs || (c.exitedAtMs !== undefined && nowMs - c.exitedAtMs <= th.recentMs && c.exitedAtMs >= (cor.stuckAtMs(c) ?? Infinity))) rank = 1;
      else if (c.stateLostAtMs !== undefined && c.exitedAtMs === undefined) rank = 1; // CRI-O lost its state at a start (A12/A13)
      if (rank > 0) ranked.push({ c, rank, at: Math.max(lastFail, c.execLastAtMs ?? -Infinity, c.lastStopAtMs ?? -Infinity, c.exitedAtMs ?? -Infinity), i });
      else if (c.exitedAtMs === undefined && c.firstStopAtMs === undefined) live.push({ c, i });
      else {
        candidates.delete(c); // settled: rank 0 and not live until something changes it
        if (nowMs > settledAtMs) settledAtMs = nowMs;
      }
    }
    const byOrder = (a: { i: number }, b: { i: number }): number => a.i - b.i;
    // map order first, so that ties keep it (the sort is stable)
    ranked.sort(byOrder);
    ranked.sort((a, b) => b.rank - a.rank || b.at - a.at);
    const chosen: { c: ContainerState; i: number }[] = ranked.slice(0, Math.max(0, maxContainers));
    const room = Math.min(MAX_PERSISTED_LIVE, Math.max(0, maxContainers - chosen.length), live.length);
    if (room > 0) {
      live.sort(byOrder);
      for (let k = live.length - room; k < live.length; k++) chosen.push(live[k]!);
    }
    // in the map's own order (least recently inserted first): ties in lists and the LRU keep theirs
    chosen.sort(byOrder);
    return chosen.map((x) => x.c);
  }

  /** Everything of a checkpoint but its containers: their pods, handlers, AppArmor, the last reload failure, the stop RPC count (copies). */
  function persistedRest(kept: ContainerState[], nowMs: number): Omit<CorrelatorState, 'containers'> {
    const ids = new Set(kept.map((c) => c.id));
    const podList = new Map<string, PodState>();
    for (const c of kept) {
      const p = podOfContainer(c);
      if (p && !podList.has(p.key)) podList.set(p.key, { ...p, sandboxIds: [...p.sandboxIds], containers: p.containers.filter((id) => ids.has(id)), evidence: [...p.evidence] });
    }
    return {
      pods: [...podList.values()],
      handlerMissing: [...handlerMissing].filter(([, h]) => nowMs - h.lastAtMs <= th.recentMs).map(([k, h]) => [k, { ...h, evidence: [...h.evidence] }]),
      apparmor: { ...apparmor, peers: [...apparmor.peers], evidence: [...apparmor.evidence] },
      reloadFailure: reloadFailure ? { ...reloadFailure } : null,
      stopRpc,
    };
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
          if (p) sandboxGone(p, ev.sandboxId, ev);
        } else p = pod(ev.namespace, ev.pod, ev.podUID);
        // SyncLoop REMOVE only says the API object is gone (a force delete does that while the
        // container runs on): recorded, never an exit
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
          if (confirm(c, ev.atMs, `${ev.pattern} ${ev.kind === 'container-removed' ? 'removed' : `exit${ev.exitCode !== undefined ? ` status ${ev.exitCode}` : ''}`}`, ev.exitCode)) {
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
      // (no closure: the checkpoint asks this of every container it holds)
      let best: number | undefined;
      const exited = c.exitedAtMs;
      if (exited !== undefined && exited <= nowMs) best = exited;
      // weak evidence (A2) ends an ordinary stop (no stop/kill failure ever, no new stop request
      // after it); for a container whose stop failed it proves nothing, however long ago it was
      const weak = c.weakStoppedAtMs;
      if (weak !== undefined && weak <= nowMs && (best === undefined || weak < best) && weakEnds(c)) best = weak;
      return best;
    },
    confirmExit(containerId, atMs, how, exitCode) {
      const c = containers.peek(containerId);
      // CRI-O 1.32.13 lists a container whose state it lost at its start (A12) as EXITED, exit code 255,
      // while its process still runs (docs/crio-lab.md): that EXITED is not an exit
      if (c?.stateLostAtMs !== undefined && atMs >= c.stateLostAtMs) return false;
      return c !== undefined && confirm(c, atMs, how, exitCode);
    },
    confirmGone(containerId, atMs, how) {
      const c = containers.peek(containerId);
      return c !== undefined && confirm(c, atMs, how);
    },
    openStops(nowMs) {
      const out: string[] = [];
      for (const c of containers.values()) if (c.firstStopAtMs !== undefined && cor.resolvedAtMs(c, nowMs) === undefined) out.push(c.id);
      return out;
    },
    execLoopActive(c, nowMs) {
      return c.execLoopSinceMs !== undefined && c.execLastAtMs !== undefined && nowMs - c.execLastAtMs < th.execLoopQuietMs;
    },
    stopRpcFailures: () => stopRpc,
    handlerMissing: () => handlerMissing,
    apparmor: () => apparmor,
    reloadFailure: () => reloadFailure,
    exportState(nowMs, maxContainers = MAX_PERSISTED_CONTAINERS) {
      const kept = persisted(nowMs, maxContainers);
      return {
        containers: kept.map((c) => ({ ...c, execRecent: [...c.execRecent], evidence: [...c.evidence], execEvidence: [...c.execEvidence] })),
        ...persistedRest(kept, nowMs),
      };
    },
    exportStateJson(nowMs, maxContainers = MAX_PERSISTED_CONTAINERS) {
      const kept = persisted(nowMs, maxContainers);
      const parts: string[] = [];
      for (const c of kept) {
        let j = containerJson.get(c);
        if (j === undefined) {
          // the same JSON as the copy exportState makes (own properties, same order)
          j = JSON.stringify(c);
          containerJson.set(c, j);
        }
        parts.push(j);
      }
      // "containers" is the first key: the rest is stringified with an empty list, then spliced
      const rest = JSON.stringify({ containers: [], ...persistedRest(kept, nowMs) });
      return `{"containers":[${parts.join(',')}]${rest.slice('{"containers":[]'.length)}`;
    },
    importState(st) {
      candidatesComplete = false; // the next export walks every container
      for (const c0 of st.containers) {
        const c: ContainerState = { ...c0, id: detach(c0.id) };
        for (const k of ['namespace', 'pod', 'podUID', 'name', 'sandboxId'] as const) if (c[k] !== undefined) c[k] = detach(c[k]);
        if (c.exitHow !== undefined) c.exitHow = shared(c.exitHow);
        if (c.runtimePath !== undefined) c.runtimePath = shared(c.runtimePath);
        if (c.runtimeRoot !== undefined) c.runtimeRoot = shared(c.runtimeRoot);
        if (c.execRecent.length === 0) c.execRecent = EMPTY_TIMES;
        if (c.execEvidence.length === 0) c.execEvidence = EMPTY_EVIDENCE;
        containers.set(c.id, c);
      }
      for (const p0 of st.pods) {
        const p: PodState = { ...p0, key: detach(p0.key), sandboxIds: p0.sandboxIds.map((x) => detach(x)), containers: p0.containers.filter((id) => containers.has(id)) };
        if (p.podUID !== undefined) p.podUID = detach(p.podUID);
        pods.set(p.key, p);
        if (p.podUID) podByUid.set(p.podUID, p.key);
        for (const sid of p.sandboxIds) podBySandbox.set(sid, p.key);
      }
      for (const [h, e] of st.handlerMissing) if (handlerMissing.size < 32) handlerMissing.set(detach(h), { ...e });
      Object.assign(apparmor, st.apparmor);
      reloadFailure = st.reloadFailure;
      stopRpc = st.stopRpc;
    },
    stats: () => ({
      containers: containers.size,
      pods: pods.size,
      containerEvictions: containers.evictions,
      podEvictions: pods.evictions,
      indexEvictions: podByUid.evictions + podBySandbox.evictions,
    }),
  };

  function weakEnds(c: ContainerState): boolean {
    return c.weakStoppedAtMs !== undefined && c.killFailures === 0 && c.kubeletFailures === 0 && (c.lastStopAtMs ?? -Infinity) <= c.weakStoppedAtMs;
  }

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
      const c = containerByName(p, a.target, uid);
      if (c && c.exitedAtMs === undefined && !ev.duplicate) kubeletFailure(c, ev);
    }
  }

  return cor;
}
