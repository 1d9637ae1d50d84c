/**
 * The event pipeline's persisted state: what open incidents need across a daemon restart (stuck
 * and stopping containers, exec loops, kill-failure counts for the findings, the default-runtime
 * timeline's runtime-layer default and last CRI-O start, multi-line kubelet records still open).
 *
 * The journal follower writes it in ONE file together with the cursor of the last entry that
 * produced it (src/journal/cursor-store.ts, createStateStore), so a restart resumes from exactly
 * the state that cursor produced: no entry is counted twice in it, none is lost.
 *
 * Versioned: `version` must be EVENT_STATE_VERSION. Bounded: the correlator exports at most
 * MAX_PERSISTED_CONTAINERS containers with bounded evidence; this module rejects anything larger
 * than the caps below. Anything unexpected (unknown version, a wrong type anywhere, a cap exceeded)
 * is a StateError: the caller starts empty and counts a warning. Pure: no I/O.
 */
import type { ContainerState, CorrelatorState, Evidence, PodState } from './correlator.js';
import { MAX_PERSISTED_CONTAINERS } from './correlator.js';
import type { DefaultValue, TimelineEntry, TimelineState } from './default-timeline.js';
import type { OpenRecord } from './klog-joiner.js';

export const EVENT_STATE_VERSION = 1;

export interface EventState {
  version: typeof EVENT_STATE_VERSION;
  /** entries the pipeline ingested (all lifetimes) */
  entries: number;
  /** newest entry time (ms) */
  lastMs: number | null;
  correlator: CorrelatorState;
  timeline: TimelineState;
  classifier: { open: OpenRecord[] };
}

export type StateErrorReason = 'corrupt' | 'version' | 'too_large' | 'unreadable';

export class StateError extends Error {
  constructor(
    readonly reason: StateErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'StateError';
  }
}

/** caps a valid state never exceeds (a larger one was not written by this version) */
const CAP = {
  containers: MAX_PERSISTED_CONTAINERS,
  pods: MAX_PERSISTED_CONTAINERS,
  evidence: 16,
  text: 4096,
  list: 64,
  timeline: 256,
  openRecords: 256,
  recordLines: 64,
  handlers: 32,
} as const;

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new StateError('corrupt', `${path}: ${what}`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'not an object');
  return v as Obj;
}

function arr(v: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(v)) fail(path, 'not an array');
  if (v.length > max) throw new StateError('too_large', `${path}: ${v.length} items (at most ${max})`);
  return v;
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'not a finite number');
  return v;
}

function str(v: unknown, path: string, max: number = CAP.text): string {
  if (typeof v !== 'string') fail(path, 'not a string');
  if (v.length > max) throw new StateError('too_large', `${path}: ${v.length} characters (at most ${max})`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'not a boolean');
  return v;
}

function optNum(o: Obj, k: string, path: string): number | undefined {
  return o[k] === undefined ? undefined : num(o[k], `${path}.${k}`);
}

function optStr(o: Obj, k: string, path: string): string | undefined {
  return o[k] === undefined ? undefined : str(o[k], `${path}.${k}`);
}

function nullable<T>(v: unknown, f: (x: unknown) => T): T | null {
  return v === null ? null : f(v);
}

function strs(v: unknown, path: string, max: number = CAP.list): string[] {
  return arr(v, path, max).map((x, i) => str(x, `${path}[${i}]`));
}

function nums(v: unknown, path: string, max: number = CAP.list): number[] {
  return arr(v, path, max).map((x, i) => num(x, `${path}[${i}]`));
}

function evidence(v: unknown, path: string): Evidence[] {
  return arr(v, path, CAP.evidence).map((x, i) => {
    const o = obj(x, `${path}[${i}]`);
    return { atMs: num(o.atMs, `${path}[${i}].atMs`), text: str(o.text, `${path}[${i}].text`) };
  });
}

function defaultValue(v: unknown, path: string): DefaultValue {
  const o = obj(v, path);
  return { name: str(o.name, `${path}.name`, 256), source: str(o.source, `${path}.source`), atMs: num(o.atMs, `${path}.atMs`) };
}

const REASONS = new Set(['permission_denied', 'deadline_exceeded', 'handler_missing', 'state_missing', 'no_such_process', 'other']);

/** Drop undefined members (an optional field is absent, never `undefined`). */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function container(v: unknown, path: string): ContainerState {
  const o = obj(v, path);
  const optDefault = (k: string): DefaultValue | null | undefined => (o[k] === undefined ? undefined : nullable(o[k], (x) => defaultValue(x, `${path}.${k}`)));
  const reason = optStr(o, 'killReason', path);
  if (reason !== undefined && !REASONS.has(reason)) fail(`${path}.killReason`, `unknown reason "${reason}"`);
  const lostReason = optStr(o, 'stateLostReason', path);
  if (lostReason !== undefined && !REASONS.has(lostReason)) fail(`${path}.stateLostReason`, `unknown reason "${lostReason}"`);
  const id = str(o.id, `${path}.id`, 64);
  if (!/^[0-9a-f]{12,64}$/.test(id)) fail(`${path}.id`, 'not a container ID');
  return compact({
    id,
    namespace: optStr(o, 'namespace', path),
    pod: optStr(o, 'pod', path),
    podUID: optStr(o, 'podUID', path),
    name: optStr(o, 'name', path),
    sandboxId: optStr(o, 'sandboxId', path),
    firstStopAtMs: optNum(o, 'firstStopAtMs', path),
    lastStopAtMs: optNum(o, 'lastStopAtMs', path),
    stopRequests: num(o.stopRequests, `${path}.stopRequests`),
    crioStopRequests: num(o.crioStopRequests, `${path}.crioStopRequests`),
    graceS: optNum(o, 'graceS', path),
    exitedAtMs: optNum(o, 'exitedAtMs', path),
    exitCode: optNum(o, 'exitCode', path),
    exitHow: optStr(o, 'exitHow', path),
    weakStoppedAtMs: optNum(o, 'weakStoppedAtMs', path),
    killFailures: num(o.killFailures, `${path}.killFailures`),
    firstKillFailAtMs: optNum(o, 'firstKillFailAtMs', path),
    lastKillFailAtMs: optNum(o, 'lastKillFailAtMs', path),
    lateKillFailAtMs: optNum(o, 'lateKillFailAtMs', path),
    killReason: reason as ContainerState['killReason'],
    runtimePath: optStr(o, 'runtimePath', path),
    runtimeRoot: optStr(o, 'runtimeRoot', path),
    defaultAtFailure: optDefault('defaultAtFailure'),
    kubeletFailures: num(o.kubeletFailures, `${path}.kubeletFailures`),
    firstKubeletFailAtMs: optNum(o, 'firstKubeletFailAtMs', path),
    lastKubeletFailAtMs: optNum(o, 'lastKubeletFailAtMs', path),
    defaultAtKubeletFailure: optDefault('defaultAtKubeletFailure'),
    execTotal: num(o.execTotal, `${path}.execTotal`),
    execRecent: nums(o.execRecent, `${path}.execRecent`),
    execLoopSinceMs: optNum(o, 'execLoopSinceMs', path),
    execLastAtMs: optNum(o, 'execLastAtMs', path),
    execLoopDetected: bool(o.execLoopDetected, `${path}.execLoopDetected`),
    execLoopFirstAtMs: optNum(o, 'execLoopFirstAtMs', path),
    execDefault: optDefault('execDefault'),
    evidence: evidence(o.evidence, `${path}.evidence`),
    execEvidence: evidence(o.execEvidence, `${path}.execEvidence`),
    stateLostAtMs: optNum(o, 'stateLostAtMs', path),
    stateLostReason: lostReason as ContainerState['stateLostReason'],
    defaultAtStateLost: optDefault('defaultAtStateLost'),
  });
}

function pod(v: unknown, path: string): PodState {
  const o = obj(v, path);
  return compact({
    key: str(o.key, `${path}.key`, 1024),
    namespace: nullable(o.namespace, (x) => str(x, `${path}.namespace`)),
    pod: nullable(o.pod, (x) => str(x, `${path}.pod`)),
    podUID: optStr(o, 'podUID', path),
    sandboxIds: strs(o.sandboxIds, `${path}.sandboxIds`, 8),
    containers: strs(o.containers, `${path}.containers`),
    deletedAtMs: optNum(o, 'deletedAtMs', path),
    removedAtMs: optNum(o, 'removedAtMs', path),
    syncErrors: num(o.syncErrors, `${path}.syncErrors`),
    lastSyncErrorAtMs: optNum(o, 'lastSyncErrorAtMs', path),
    evidence: evidence(o.evidence, `${path}.evidence`),
  });
}

function correlatorState(v: unknown, path: string): CorrelatorState {
  const o = obj(v, path);
  const aa = obj(o.apparmor, `${path}.apparmor`);
  return {
    containers: arr(o.containers, `${path}.containers`, CAP.containers).map((x, i) => container(x, `${path}.containers[${i}]`)),
    pods: arr(o.pods, `${path}.pods`, CAP.pods).map((x, i) => pod(x, `${path}.pods[${i}]`)),
    handlerMissing: arr(o.handlerMissing, `${path}.handlerMissing`, CAP.handlers).map((x, i) => {
      const p = `${path}.handlerMissing[${i}]`;
      const pair = arr(x, p, 2);
      const h = obj(pair[1], `${p}[1]`);
      return [str(pair[0], `${p}[0]`, 256), { count: num(h.count, `${p}.count`), lastAtMs: num(h.lastAtMs, `${p}.lastAtMs`), evidence: evidence(h.evidence, `${p}.evidence`) }];
    }),
    apparmor: compact({
      count: num(aa.count, `${path}.apparmor.count`),
      signalDenials: num(aa.signalDenials, `${path}.apparmor.signalDenials`),
      lastSignalAtMs: optNum(aa, 'lastSignalAtMs', `${path}.apparmor`),
      peers: strs(aa.peers, `${path}.apparmor.peers`, 8),
      evidence: evidence(aa.evidence, `${path}.apparmor.evidence`),
    }),
    reloadFailure: nullable(o.reloadFailure, (x) => {
      const r = obj(x, `${path}.reloadFailure`);
      return { atMs: num(r.atMs, `${path}.reloadFailure.atMs`), error: str(r.error, `${path}.reloadFailure.error`), line: str(r.line, `${path}.reloadFailure.line`) };
    }),
    stopRpc: num(o.stopRpc, `${path}.stopRpc`),
  };
}

const PHASES = new Set(['unknown', 'startup', 'running', 'reloading']);

function timelineState(v: unknown, path: string): TimelineState {
  const o = obj(v, path);
  const phase = str(o.phase, `${path}.phase`, 16);
  if (!PHASES.has(phase)) fail(`${path}.phase`, `unknown phase "${phase}"`);
  return {
    layer: nullable(o.layer, (x) => defaultValue(x, `${path}.layer`)),
    configured: nullable(o.configured, (x) => defaultValue(x, `${path}.configured`)),
    phase: phase as TimelineState['phase'],
    version: nullable(o.version, (x) => str(x, `${path}.version`, 256)),
    lastStart: nullable(o.lastStart, (x) => num(x, `${path}.lastStart`)),
    handlers: nullable(o.handlers, (x) => strs(x, `${path}.handlers`)),
    startPending: bool(o.startPending, `${path}.startPending`),
    entries: arr(o.entries, `${path}.entries`, CAP.timeline).map((x, i): TimelineEntry => {
      const e = obj(x, `${path}.entries[${i}]`);
      return { atMs: num(e.atMs, `${path}.entries[${i}].atMs`), defaultRuntime: str(e.defaultRuntime, `${path}.entries[${i}].defaultRuntime`, 256), source: str(e.source, `${path}.entries[${i}].source`) };
    }),
  };
}

const SEVERITIES = new Set(['I', 'W', 'E', 'F']);

function openRecords(v: unknown, path: string): OpenRecord[] {
  return arr(v, path, CAP.openRecords).map((x, i) => {
    const p = `${path}[${i}]`;
    const o = obj(x, p);
    const severity = str(o.severity, `${p}.severity`, 1);
    if (!SEVERITIES.has(severity)) fail(`${p}.severity`, `not a klog severity`);
    return {
      key: str(o.key, `${p}.key`, 256),
      severity: severity as OpenRecord['severity'],
      head: str(o.head, `${p}.head`, 65_536),
      lines: arr(o.lines, `${p}.lines`, CAP.recordLines).map((l, j) => str(l, `${p}.lines[${j}]`, 65_536)),
      raw: arr(o.raw, `${p}.raw`, CAP.recordLines + 1).map((l, j) => str(l, `${p}.raw[${j}]`, 65_536)),
      realtimeUs: num(o.realtimeUs, `${p}.realtimeUs`),
    };
  });
}

/** Most characters of open kubelet records a state carries; past this they are left out (they would be dropped as unterminated). */
export const MAX_OPEN_RECORD_CHARS = 262_144;

/** Keep open records while their text fits MAX_OPEN_RECORD_CHARS. */
export function boundOpenRecords(records: OpenRecord[]): OpenRecord[] {
  let chars = 0;
  const out: OpenRecord[] = [];
  for (const r of records) {
    chars += r.head.length + r.raw.reduce((n, l) => n + l.length * 2, 0);
    if (chars > MAX_OPEN_RECORD_CHARS) break;
    out.push(r);
  }
  return out;
}

/** Validate a parsed state; throws StateError (never anything else) when it is not a state this version wrote. */
export function parseEventState(v: unknown): EventState {
  try {
    const o = obj(v, 'state');
    if (o.version !== EVENT_STATE_VERSION) throw new StateError('version', `state version ${JSON.stringify(o.version)} is not ${EVENT_STATE_VERSION}`);
    const classifier = obj(o.classifier, 'state.classifier');
    return {
      version: EVENT_STATE_VERSION,
      entries: num(o.entries, 'state.entries'),
      lastMs: nullable(o.lastMs, (x) => num(x, 'state.lastMs')),
      correlator: correlatorState(o.correlator, 'state.correlator'),
      timeline: timelineState(o.timeline, 'state.timeline'),
      classifier: { open: openRecords(classifier.open, 'state.classifier.open') },
    };
  } catch (err) {
    if (err instanceof StateError) throw err;
    throw new StateError('corrupt', err instanceof Error ? err.message : String(err));
  }
}
