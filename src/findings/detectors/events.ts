/**
 * The events detector (catalogue source "events"): findings derived from the journal's correlator
 * state and default-runtime timeline at `now`; never stored. Ids: stop-failures-under-nvidia-default,
 * exec-permission-denied-loop, pod-stuck-terminating, handler-missing-for-pods, apparmor-signal-denied,
 * reload-failed, default-changed-under-running-pods.
 */
import type { EventSnapshot, Finding } from '../../core/contracts.js';
import { makeDraft as draft, type FindingDraft } from '../types.js';
import type { ContainerState, Correlator, Evidence } from '../../events/correlator.js';
import type { DefaultTimeline, DefaultValue } from '../../events/default-timeline.js';
import { stuckPods } from '../../events/stuck-pods.js';
import { isNvidiaHandler } from '../../config/nvidia.js';

const MAX_SUBJECTS = 20;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function short(id: string): string {
  return id.slice(0, 12);
}

export function containerLabel(c: ContainerState): string {
  const where = c.namespace && c.pod ? ` (${c.namespace}/${c.pod}${c.name ? `/${c.name}` : ''})` : c.name ? ` (${c.name})` : '';
  return `container ${c.id}${where}`;
}

function lines(ev: Evidence[]): string[] {
  return ev.map((e) => e.text);
}

function defaultLine(tl: DefaultTimeline, v: DefaultValue | null | undefined, what: string): string {
  return `default runtime in force ${what}: ${tl.describe(v ?? null)}`;
}

function isNvidiaFailure(tl: DefaultTimeline, c: ContainerState): boolean {
  if (c.killFailures > 0 && c.runtimePath && isNvidiaHandler('', c.runtimePath)) return true;
  const d = c.killFailures > 0 ? c.defaultAtFailure : c.defaultAtKubeletFailure;
  return !!d && tl.isNvidia(d.name);
}

export function eventFindings(cor: Correlator, tl: DefaultTimeline, nowMs: number): FindingDraft[] {
  const th = cor.thresholds;
  const out: FindingDraft[] = [];

  // ---------------------------------------------------------------- stop failures under the nvidia default
  const failing: ContainerState[] = [];
  for (const c of cor.containers()) {
    if (c.killFailures === 0 && c.kubeletFailures === 0) continue;
    if (!isNvidiaFailure(tl, c)) continue;
    const last = Math.max(c.lastKillFailAtMs ?? -Infinity, c.lastKubeletFailAtMs ?? -Infinity);
    const resolved = cor.resolvedAtMs(c, nowMs) !== undefined;
    if (!resolved || nowMs - last <= th.recentMs) failing.push(c);
  }
  if (failing.length > 0) {
    failing.sort((a, b) => b.killFailures - a.killFailures);
    const ev: string[] = [];
    for (const c of failing.slice(0, 5)) {
      const first = c.firstKillFailAtMs ?? c.firstKubeletFailAtMs!;
      const last = Math.max(c.lastKillFailAtMs ?? -Infinity, c.lastKubeletFailAtMs ?? -Infinity);
      ev.push(
        `${containerLabel(c)}: ${c.killFailures} CRI-O kill failure(s), ${c.kubeletFailures} kubelet stop/kill failure(s) from ${iso(first)} to ${iso(last)}${c.killReason ? `, reason ${c.killReason}` : ''}`,
      );
      if (c.runtimePath) ev.push(`runtime that ran: ${c.runtimePath}${c.runtimeRoot ? ` --root ${c.runtimeRoot}` : ''}`);
      ev.push(defaultLine(tl, c.defaultAtFailure ?? c.defaultAtKubeletFailure, `at ${iso(first)}`));
      ev.push(...lines(c.evidence).slice(0, 3));
    }
    if (failing.length > 5) ev.push(`… and ${failing.length - 5} more container(s)`);
    out.push(
      draft(
        'stop-failures-under-nvidia-default',
        `${failing.length} container(s) cannot be stopped through the NVIDIA runtime (${failing.reduce((n, c) => n + c.killFailures, 0)} kill failures)`,
        ev,
        {},
      ),
    );
  }

  // ---------------------------------------------------------------- exec permission-denied loops
  let loops = 0;
  for (const c of cor.containers()) {
    if (!cor.execLoopActive(c, nowMs)) continue;
    if (++loops > MAX_SUBJECTS) continue;
    const subject: Finding['subject'] = { containerId: c.id };
    if (c.namespace) subject.namespace = c.namespace;
    if (c.pod) subject.pod = c.pod;
    if (c.podUID) subject.podUID = c.podUID;
    const target = c.namespace && c.pod ? `${c.namespace}/${c.pod}${c.name ? `/${c.name}` : ''}` : `container ${short(c.id)}`;
    out.push(
      draft(
        'exec-permission-denied-loop',
        `Exec into ${target} fails with permission denied on every probe (${c.execTotal} failures since ${iso(c.execLoopFirstAtMs ?? c.execLastAtMs!)})`,
        [
          `${containerLabel(c)}: ${c.execTotal} permission-denied exec failure(s), >= ${th.execLoopCount} within ${th.execLoopWindowMs / 1000} s, last at ${iso(c.execLastAtMs!)}`,
          defaultLine(tl, c.execDefault, `when the loop started`),
          ...lines(c.execEvidence).slice(0, 3),
        ],
        { target },
        subject,
      ),
    );
  }

  // ---------------------------------------------------------------- pods stuck Terminating
  let stuckCount = 0;
  for (const s of stuckPods(cor, nowMs)) {
    if (s.resolvedAtMs !== null) continue;
    if (++stuckCount > MAX_SUBJECTS) continue;
    const name = s.namespace && s.pod ? `${s.namespace}/${s.pod}` : `container ${short(s.containers[0]!.id)}`;
    const mins = Math.round((nowMs - s.firstStopAtMs) / 60000);
    const ev: string[] = [`stop first requested at ${iso(s.firstStopAtMs)} (${mins} min ago); no exit confirmed (conmon exit, PLEG ContainerDied, container finished)`];
    for (const c of s.containers.slice(0, 4)) {
      ev.push(
        `${containerLabel(c)}: ${c.crioStopRequests || c.stopRequests} stop request(s), grace ${c.graceS ?? th.defaultGraceS} s, ${c.killFailures} kill failure(s), ${c.kubeletFailures} kubelet failure(s)` +
          (c.weakStoppedAtMs !== undefined ? `; CRI-O printed "Stopped container" at ${iso(c.weakStoppedAtMs)} but kill failures continued (weak evidence)` : ''),
      );
      if (c.runtimePath) ev.push(`runtime that ran: ${c.runtimePath}${c.runtimeRoot ? ` --root ${c.runtimeRoot}` : ''}`);
      ev.push(defaultLine(tl, c.defaultAtFailure ?? c.defaultAtKubeletFailure ?? tl.inForce(), 'at the first failure'));
      ev.push(...lines(c.evidence).slice(-2));
    }
    const subject: Finding['subject'] = { containerId: s.containers[0]!.id };
    if (s.namespace) subject.namespace = s.namespace;
    if (s.pod) subject.pod = s.pod;
    if (s.podUID) subject.podUID = s.podUID;
    out.push(
      draft(
        'pod-stuck-terminating',
        `${name} stuck Terminating for ${mins} min`,
        ev,
        { target: name },
        subject,
      ),
    );
  }

  // ---------------------------------------------------------------- missing handlers
  for (const [handler, h] of cor.handlerMissing()) {
    if (nowMs - h.lastAtMs > th.recentMs) continue;
    out.push(
      draft(
        'handler-missing-for-pods',
        `Pods use runtime handler "${handler}", which CRI-O does not have (${h.count} error(s))`,
        [`last seen ${iso(h.lastAtMs)}`, ...lines(h.evidence).slice(-3)],
        { handler },
      ),
    );
  }

  // ---------------------------------------------------------------- AppArmor signal denials
  const aa = cor.apparmor();
  if (aa.signalDenials > 0 && aa.lastSignalAtMs !== undefined && nowMs - aa.lastSignalAtMs <= th.recentMs) {
    out.push(
      draft(
        'apparmor-signal-denied',
        `AppArmor denied ${aa.signalDenials} signal(s) from ${aa.peers.join(', ')} to containers`,
        [`last at ${iso(aa.lastSignalAtMs)}`, ...lines(aa.evidence).slice(-3)],
        { peers: aa.peers.join('/') },
      ),
    );
  }

  // ---------------------------------------------------------------- reload failure
  const rf = cor.reloadFailure();
  if (rf) {
    out.push(
      draft('reload-failed', `The last CRI-O reload was rejected at ${iso(rf.atMs)}`, [`${iso(rf.atMs)} crio: ${rf.line.slice(0, 600)}`], {}),
    );
  }
  return out;
}

/** The runtime-layer default changed at a CRI-O start while pods created under the old one still fail. */
function defaultChanged(events: EventSnapshot): FindingDraft | null {
  const current = events.crio.runtimeLayerDefault ?? events.defaultRuntimeTimeline[events.defaultRuntimeTimeline.length - 1]?.defaultRuntime ?? null;
  if (!current) return null;
  const startMs = events.crio.lastStartAt ? Date.parse(events.crio.lastStartAt) : null;
  let old: { at: string; defaultRuntime: string } | null = null;
  for (const e of events.defaultRuntimeTimeline) {
    if (e.defaultRuntime === current) continue;
    if (startMs !== null && Number.isFinite(startMs) && Date.parse(e.at) >= startMs) continue;
    old = e;
  }
  if (!old) return null;
  const stuck = events.stuckTerminating.filter((p) => !p.resolved);
  const loops = events.execPermissionDenied.filter((e) => e.loop);
  const kills = events.killFailures;
  if (stuck.length === 0 && loops.length === 0 && kills.length === 0) return null;
  const evidence: string[] = [`default runtime was "${old.defaultRuntime}" (${old.at}), CRI-O ${events.crio.lastStartAt ? `started ${events.crio.lastStartAt} ` : ''}with "${current}"`];
  const pod = (ns: string | null | undefined, p: string | null | undefined): string => `${ns ?? '?'}/${p ?? '?'}`;
  for (const p of stuck.slice(0, 5)) evidence.push(`pod ${pod(p.namespace, p.pod)} stuck Terminating for ${Math.round(p.stuckSeconds)} s`);
  for (const k of kills.slice(0, 5)) evidence.push(`container ${k.containerId.slice(0, 13)} kill failed ${k.count}x (${k.reason})${k.runtimePath ? ` via ${k.runtimePath}` : ''}`);
  for (const l of loops.slice(0, 5)) evidence.push(`container ${l.containerId.slice(0, 13)} exec permission denied ${l.count}x`);
  return draft(
    'default-changed-under-running-pods',
    `Default runtime changed from "${old.defaultRuntime}" to "${current}" while pods created under it are still running and failing`,
    evidence,
    { old: old.defaultRuntime, current },
  );
}

/**
 * containers-state-lost-at-start (CRI-O 1.32.13 lab, docs/crio-lab.md): at its latest start CRI-O could
 * not read the state of containers through the runtime it drives them with now (A12 `Failed to update
 * container state for <id>`, A13 `Error updating the container status "<id>"`). With A12 CRI-O lists
 * them EXITED (exit code 255) while their processes may still run under the runtime that created them.
 */
function stateLostAtStart(cor: Correlator, tl: DefaultTimeline, events: EventSnapshot, nowMs: number): FindingDraft | null {
  const startMs = events.crio.lastStartAt ? Date.parse(events.crio.lastStartAt) : -Infinity;
  const lost: ContainerState[] = [];
  for (const c of cor.containers()) {
    if (c.stateLostAtMs === undefined || c.stateLostAtMs < startMs || c.stateLostAtMs > nowMs) continue;
    if (c.exitedAtMs !== undefined && c.exitedAtMs >= c.stateLostAtMs) continue; // removed or exit confirmed since
    lost.push(c);
  }
  if (lost.length === 0) return null;
  lost.sort((a, b) => a.stateLostAtMs! - b.stateLostAtMs!);
  const pods = [...new Set(lost.map((c) => (c.namespace && c.pod ? `${c.namespace}/${c.pod}` : `container ${short(c.id)}`)))];
  const first = lost[0]!;
  const evidence = [defaultLine(tl, first.defaultAtStateLost, `at ${iso(first.stateLostAtMs!)}`)];
  for (const c of lost.slice(0, MAX_SUBJECTS)) {
    evidence.push(`${containerLabel(c)}: state not readable at ${iso(c.stateLostAtMs!)} (${c.stateLostReason ?? 'other'})${c.killFailures ? `, ${c.killFailures} kill failure(s) since` : ''}`);
  }
  if (lost.length > MAX_SUBJECTS) evidence.push(`… and ${lost.length - MAX_SUBJECTS} more (showing ${MAX_SUBJECTS} of ${lost.length})`);
  evidence.push(...lines(first.evidence).slice(0, 2));
  const handlerGone = lost.every((c) => c.stateLostReason === 'handler_missing');
  const d = draft(
    'containers-state-lost-at-start',
    handlerGone
      ? `${lost.length} container(s) in ${pods.length} pod(s) use a runtime handler CRI-O no longer has: CRI-O cannot stop, exec or kill them`
      : `${lost.length} container(s) in ${pods.length} pod(s) could not be read through the runtime CRI-O drives them with since its start: CRI-O lists them exited while they may still run`,
    evidence,
    { count: String(lost.length), pods: pods.slice(0, MAX_SUBJECTS).join(', '), current: tl.inForce()?.name ?? 'unknown', handlerGone: String(handlerGone) },
  );
  if (lost.length === 1) {
    const subject: NonNullable<FindingDraft['subject']> = { containerId: first.id };
    if (first.namespace) subject.namespace = first.namespace;
    if (first.pod) subject.pod = first.pod;
    if (first.podUID) subject.podUID = first.podUID;
    d.subject = subject;
  }
  return d;
}

/**
 * pending-runtime-change from the journal alone (no files given, e.g. `scan` of a journal): CRI-O's
 * configured default changed by a reload (`Set config default_runtime to …`) while its runtime layer
 * keeps the one it started with until the next start (CRI-O 1.31.0 and 1.32.13, docs/crio-lab.md).
 * With files, the live detector raises it (src/findings/detectors/live.ts).
 */
function pendingFromJournal(events: EventSnapshot): FindingDraft | null {
  const { configuredDefault: configured, runtimeLayerDefault: running } = events.crio;
  if (!configured || !running || configured === running) return null;
  const reload = [...events.defaultRuntimeTimeline].reverse().find((t) => t.defaultRuntime === configured);
  return draft(
    'pending-runtime-change',
    `CRI-O runs "${running}" but was reloaded with default_runtime "${configured}": the change is pending until its next start`,
    [`running default "${running}" from the journal (last CRI-O start)`, ...(reload ? [`${reload.at} ${reload.source}: default_runtime "${configured}"`] : [])],
    { target: configured },
  );
}

/** What the event detector reads: the correlator state and the snapshot derived from it, at one time. */
export interface EventsSource {
  correlator: Correlator;
  timeline: DefaultTimeline;
  snapshot: EventSnapshot;
  nowMs: number;
}

/** The events detector (catalogue source "events"): the same for `scan` and the daemon. */
export function detectEvents(s: { events?: EventsSource | null; config?: unknown }): FindingDraft[] {
  const ev = s.events;
  if (!ev) return [];
  const out = eventFindings(ev.correlator, ev.timeline, ev.nowMs);
  const dc = defaultChanged(ev.snapshot);
  if (dc) out.push(dc);
  const sl = stateLostAtStart(ev.correlator, ev.timeline, ev.snapshot, ev.nowMs);
  if (sl) out.push(sl);
  const pj = s.config ? null : pendingFromJournal(ev.snapshot);
  if (pj) out.push(pj);
  return out;
}
