/**
 * Correlator and pipeline behaviour with synthetic events and an injected clock (event times).
 */
import { describe, expect, it } from 'vitest';
import type { ConfigReport } from '../../src/core/contracts.js';
import type { EventCounters } from '../../src/events/counters.js';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createCorrelator } from '../../src/events/correlator.js';
import { createDefaultTimeline } from '../../src/events/default-timeline.js';
import type { Event } from '../../src/events/event.js';
import { eventFindings } from '../../src/findings/detectors/events.js';
import { stuckPods } from '../../src/events/stuck-pods.js';
import { createEventPipeline } from '../../src/events/pipeline.js';
import { finalizeDraft } from '../../src/findings/catalogue.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const S = 1000;
const MIN = 60 * S;

const hex = (n: number): string => n.toString(16).padStart(64, '0');
const ID = hex(0xabc);

function mk(kind: Event['kind'], atMs: number, extra: Partial<Event> = {}): Event {
  return { kind, pattern: 'test', source: 'crio', atMs, line: `${kind} line`, ...extra };
}

function setup(thresholds = {}, limits = {}, counters?: EventCounters) {
  const tl = createDefaultTimeline();
  const cor = createCorrelator({ timeline: tl, thresholds, limits, counters });
  const c = (id = ID) => [...cor.containers()].find((x) => x.id === id)!;
  return { tl, cor, c };
}

describe('stuck Terminating', () => {
  it('becomes stuck after grace + threshold without an exit, and clears on a confirmed exit', () => {
    const { cor, c } = setup({ stuckAfterMs: 2 * MIN });
    cor.ingest(mk('container-started', T0, { containerId: ID, namespace: 'ns', pod: 'p', container: 'main' }));
    cor.ingest(mk('stop-requested', T0 + 10 * S, { containerId: ID, gracePeriodS: 30 }));
    expect(cor.stuckAtMs(c())).toBe(T0 + 10 * S + 30 * S + 2 * MIN);
    expect(stuckPods(cor, T0 + 2 * MIN + 39 * S)).toEqual([]);
    const s = stuckPods(cor, T0 + 2 * MIN + 41 * S);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ namespace: 'ns', pod: 'p', resolvedAtMs: null });
    cor.ingest(mk('container-exited', T0 + 5 * MIN, { containerId: ID, exitCode: 137, source: 'conmon' }));
    expect(stuckPods(cor, T0 + 6 * MIN)[0]).toMatchObject({ resolvedAtMs: T0 + 5 * MIN });
    expect(eventFindings(cor, createDefaultTimeline(), T0 + 6 * MIN).filter((f) => f.id === 'pod-stuck-terminating')).toEqual([]);
  });

  it('a container that exits within the grace period is never listed', () => {
    const { cor } = setup();
    cor.ingest(mk('stop-requested', T0, { containerId: ID, gracePeriodS: 30 }));
    cor.ingest(mk('container-exited', T0 + 2 * S, { containerId: ID }));
    expect(stuckPods(cor, T0 + 60 * MIN)).toEqual([]);
  });

  it('Stopped container (A2) is weak: after a kill failure it never resolves, however long the quiet; a strong exit does', () => {
    const { cor } = setup();
    cor.ingest(mk('stop-requested', T0, { containerId: ID, gracePeriodS: 30 }));
    cor.ingest(mk('kill-failed', T0 + 30 * S, { containerId: ID, reason: 'permission_denied', runtimePath: '/usr/bin/nvidia-container-runtime' }));
    cor.ingest(mk('stopped-weak', T0 + 2 * MIN, { containerId: ID }));
    // kill loop continues after A2: never resolved
    cor.ingest(mk('kill-failed', T0 + 3 * MIN, { containerId: ID, reason: 'permission_denied' }));
    expect(stuckPods(cor, T0 + 30 * MIN)[0]?.resolvedAtMs).toBeNull();

    const b = setup();
    b.cor.ingest(mk('stop-requested', T0, { containerId: ID, gracePeriodS: 30 }));
    b.cor.ingest(mk('kill-failed', T0 + 30 * S, { containerId: ID, reason: 'permission_denied' }));
    b.cor.ingest(mk('kill-failed', T0 + 100 * S, { containerId: ID, reason: 'permission_denied' }));
    b.cor.ingest(mk('stopped-weak', T0 + 110 * S, { containerId: ID }));
    const c = [...b.cor.containers()][0]!;
    // the mere passage of time (the old 2 min kill-backoff rule) resolves nothing
    for (const t of [T0 + 110 * S + 2 * MIN, T0 + 60 * MIN, T0 + 24 * 60 * MIN]) expect(b.cor.resolvedAtMs(c, t)).toBeUndefined();
    expect(stuckPods(b.cor, T0 + 24 * 60 * MIN)[0]?.resolvedAtMs).toBeNull();
    // a kubelet failure makes A2 weak as well (the demo: DeadlineExceeded then "Stopped container")
    const k = setup();
    k.cor.ingest(mk('stop-requested', T0, { containerId: ID, gracePeriodS: 10 }));
    k.cor.ingest(mk('stop-rpc-failed', T0 + 130 * S, { containerId: ID, rpc: 'StopContainer', source: 'kubelet' }));
    k.cor.ingest(mk('stopped-weak', T0 + 130 * S + 2, { containerId: ID }));
    expect(stuckPods(k.cor, T0 + 60 * MIN)[0]?.resolvedAtMs).toBeNull();
    // the conmon exit (an OOM kill of the container's init is one: status 137) resolves it
    b.cor.ingest(mk('container-exited', T0 + 61 * MIN, { containerId: ID, exitCode: 137, source: 'conmon', pattern: 'M1' }));
    expect(b.cor.resolvedAtMs(c, T0 + 62 * MIN)).toBe(T0 + 61 * MIN);
  });

  it('A2 ends an ordinary stop at once, but not when the container is asked to stop again after it', () => {
    const { cor, c } = setup();
    cor.ingest(mk('stop-requested', T0, { containerId: ID, gracePeriodS: 30 }));
    cor.ingest(mk('stopped-weak', T0 + 4 * MIN, { containerId: ID }));
    expect(cor.resolvedAtMs(c(), T0 + 4 * MIN)).toBe(T0 + 4 * MIN);
    // cri-o/cri-o#7053: a new stop request for the same ID after A2 means A2 was wrong
    cor.ingest(mk('stop-requested', T0 + 5 * MIN, { containerId: ID, gracePeriodS: 30 }));
    expect(cor.resolvedAtMs(c(), T0 + 60 * MIN)).toBeUndefined();
  });

  it('a normal SIGKILL after the grace period (A3, A2, no conmon line in the input) is never reported stuck', () => {
    const { cor } = setup();
    cor.ingest(mk('stop-requested', T0, { containerId: ID, gracePeriodS: 30 }));
    cor.ingest(mk('stop-timeout', T0 + 30 * S, { containerId: ID }));
    cor.ingest(mk('stopped-weak', T0 + 30 * S + 200, { containerId: ID }));
    expect(stuckPods(cor, T0 + 10 * MIN)).toEqual([]);
  });

  it('clears when CRI-O removes its pod sandbox; SyncLoop REMOVE (API object gone, e.g. a force delete) does not', () => {
    const { cor } = setup();
    const SID = hex(0x5a);
    cor.ingest(mk('sandbox-created', T0, { sandboxId: SID, namespace: 'ns', pod: 'p' }));
    cor.ingest(mk('container-started', T0, { containerId: ID, sandboxId: SID, namespace: 'ns', pod: 'p', container: 'c' }));
    cor.ingest(mk('stop-requested', T0 + S, { containerId: ID, gracePeriodS: 0 }));
    expect(stuckPods(cor, T0 + 10 * MIN)[0]?.resolvedAtMs).toBeNull();
    cor.ingest(mk('sandbox-removed', T0 + 10 * MIN, { namespace: 'ns', pod: 'p', source: 'kubelet', pattern: 'B12r' }));
    expect(stuckPods(cor, T0 + 11 * MIN)[0]?.resolvedAtMs).toBeNull();
    cor.ingest(mk('sandbox-removed', T0 + 11 * MIN, { sandboxId: SID, pattern: 'P5' }));
    expect(stuckPods(cor, T0 + 12 * MIN)[0]?.resolvedAtMs).toBe(T0 + 11 * MIN);
  });

  it('a rollout (same pod name, new UID and sandbox), other containers exiting or OOM-killed, leave a stuck pod stuck', () => {
    const { cor } = setup();
    const OLD_UID = '11111111-1111-1111-1111-111111111111';
    const NEW_UID = '22222222-2222-2222-2222-222222222222';
    const SID1 = hex(0x51);
    const SID2 = hex(0x52);
    const NEW_ID = hex(0xdef);
    const SIDECAR = hex(0xeee);
    cor.ingest(mk('sandbox-created', T0, { sandboxId: SID1, namespace: 'gpu', pod: 'dcgm-exporter-x', podUID: OLD_UID }));
    cor.ingest(mk('container-started', T0, { containerId: ID, sandboxId: SID1, namespace: 'gpu', pod: 'dcgm-exporter-x', podUID: OLD_UID, container: 'dcgm' }));
    cor.ingest(mk('container-started', T0, { containerId: SIDECAR, sandboxId: SID1, namespace: 'gpu', pod: 'dcgm-exporter-x', podUID: OLD_UID, container: 'side' }));
    cor.ingest(mk('stop-requested', T0 + S, { containerId: ID, gracePeriodS: 10, source: 'kubelet' }));
    cor.ingest(mk('kill-failed', T0 + 12 * S, { containerId: ID, reason: 'permission_denied' }));
    cor.ingest(mk('stop-rpc-failed', T0 + 131 * S, { containerId: ID, rpc: 'StopContainer', source: 'kubelet' }));
    const stuckNow = () => stuckPods(cor, T0 + 60 * MIN).filter((s) => s.resolvedAtMs === null);
    expect(stuckNow()).toHaveLength(1);
    // the sidecar is OOM-killed (conmon 137, PLEG ContainerDied): its own exit only
    cor.ingest(mk('container-exited', T0 + 3 * MIN, { containerId: SIDECAR, exitCode: 137, source: 'conmon', pattern: 'M1' }));
    cor.ingest(mk('container-exited', T0 + 3 * MIN, { containerId: SIDECAR, podUID: OLD_UID, source: 'kubelet', pattern: 'B12p' }));
    // force delete + rollout: the API object goes, a new pod with the same name, a new UID and sandbox starts, is stopped and removed
    cor.ingest(mk('sandbox-removed', T0 + 4 * MIN, { namespace: 'gpu', pod: 'dcgm-exporter-x', source: 'kubelet', pattern: 'B12r' }));
    cor.ingest(mk('sandbox-created', T0 + 5 * MIN, { sandboxId: SID2, namespace: 'gpu', pod: 'dcgm-exporter-x', podUID: NEW_UID }));
    cor.ingest(mk('container-started', T0 + 5 * MIN, { containerId: NEW_ID, sandboxId: SID2, namespace: 'gpu', pod: 'dcgm-exporter-x', podUID: NEW_UID, container: 'dcgm' }));
    cor.ingest(mk('pod-sync-error', T0 + 6 * MIN, { source: 'kubelet', namespace: 'gpu', pod: 'dcgm-exporter-x', podUID: NEW_UID, actions: [{ action: 'KillContainer', target: 'dcgm', reason: 'other' }] }));
    cor.ingest(mk('stop-requested', T0 + 7 * MIN, { containerId: NEW_ID, gracePeriodS: 10 }));
    cor.ingest(mk('container-exited', T0 + 7 * MIN + S, { containerId: NEW_ID, exitCode: 0, source: 'conmon', pattern: 'M1' }));
    cor.ingest(mk('sandbox-removed', T0 + 8 * MIN, { sandboxId: SID2, pattern: 'P5' }));
    const s = stuckNow();
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ namespace: 'gpu', pod: 'dcgm-exporter-x', podUID: OLD_UID });
    expect(s[0]!.containers.map((c) => c.id)).toEqual([ID]);
    // the KillContainer error named the new pod's UID: not counted against the stuck container
    expect([...cor.containers()].find((c) => c.id === ID)!.kubeletFailures).toBe(1);
    // the old pod's own sandbox removal is a confirmed exit
    cor.ingest(mk('sandbox-removed', T0 + 9 * MIN, { sandboxId: SID1, pattern: 'P5' }));
    expect(stuckNow()).toEqual([]);
  });

  it('CRI state confirms an exit (confirmExit / confirmGone); openStops lists what a CRI poll should check', () => {
    const { cor, c } = setup();
    const OTHER = hex(0x123);
    cor.ingest(mk('stop-requested', T0, { containerId: ID, gracePeriodS: 30 }));
    cor.ingest(mk('kill-failed', T0 + 31 * S, { containerId: ID, reason: 'permission_denied' }));
    cor.ingest(mk('stop-requested', T0, { containerId: OTHER, gracePeriodS: 30 }));
    cor.ingest(mk('kill-failed', T0 + 31 * S, { containerId: OTHER, reason: 'permission_denied' }));
    expect(cor.openStops(T0 + 10 * MIN).sort()).toEqual([ID, OTHER].sort());
    expect(cor.confirmExit(hex(0x999), T0 + 10 * MIN, 'cri: CONTAINER_EXITED')).toBe(false); // unknown: ignored
    expect(cor.confirmExit(ID, T0 + 10 * MIN, 'cri: CONTAINER_EXITED', 137)).toBe(true);
    expect(cor.confirmExit(ID, T0 + 11 * MIN, 'cri: CONTAINER_EXITED')).toBe(false); // the first confirmation stands
    expect(c()).toMatchObject({ exitedAtMs: T0 + 10 * MIN, exitCode: 137, exitHow: 'cri: CONTAINER_EXITED' });
    expect(cor.confirmGone(OTHER, T0 + 12 * MIN, 'cri: not listed')).toBe(true);
    expect(cor.openStops(T0 + 13 * MIN)).toEqual([]);
    expect(stuckPods(cor, T0 + 13 * MIN).every((s) => s.resolvedAtMs !== null)).toBe(true);
  });

  it('joins kubelet aggregates (container name + UID) to the container ID and counts them', () => {
    const { cor, c } = setup();
    const UID = '11111111-2222-3333-4444-555555555555';
    cor.ingest(mk('stop-requested', T0, { containerId: ID, namespace: 'ns', pod: 'p', podUID: UID, container: 'trainer', gracePeriodS: 30, source: 'kubelet' }));
    cor.ingest(
      mk('pod-sync-error', T0 + 3 * MIN, {
        source: 'kubelet',
        podUID: UID,
        duplicate: true,
        actions: [{ action: 'KillContainer', target: 'trainer', reason: 'deadline_exceeded' }],
      }),
    );
    expect(c().kubeletFailures).toBe(0); // duplicates (B10) are not counted
    cor.ingest(mk('pod-sync-error', T0 + 3 * MIN, { source: 'kubelet', namespace: 'ns', pod: 'p', podUID: UID, actions: [{ action: 'KillContainer', target: 'trainer', reason: 'deadline_exceeded' }] }));
    expect(c().kubeletFailures).toBe(1);
    expect(stuckPods(cor, T0 + 3 * MIN)).toHaveLength(1);
  });
});

describe('exec permission-denied loop', () => {
  const pd = (t: number) => mk('exec-failed', t, { containerId: ID, reason: 'permission_denied', source: 'kubelet' });

  it('needs N failures within W, and clears after the quiet period', () => {
    const { cor, c } = setup({ execLoopCount: 3, execLoopWindowMs: 60 * S, execLoopQuietMs: 5 * MIN });
    cor.ingest(pd(T0));
    cor.ingest(pd(T0 + 50 * S));
    cor.ingest(pd(T0 + 115 * S)); // only 2 within any 60 s window
    expect(c().execLoopDetected).toBe(false);
    cor.ingest(pd(T0 + 120 * S)); // 115, 120 and… 50 is out: still 2
    expect(c().execLoopDetected).toBe(false);
    cor.ingest(pd(T0 + 125 * S)); // 115, 120, 125
    expect(c().execLoopDetected).toBe(true);
    expect(cor.execLoopActive(c(), T0 + 125 * S + 5 * MIN - 1)).toBe(true);
    expect(cor.execLoopActive(c(), T0 + 125 * S + 5 * MIN)).toBe(false);
    expect(c().execTotal).toBe(5);
  });

  it('does not count other exec errors or probe verdicts', () => {
    const { cor } = setup();
    for (let i = 0; i < 5; i++) cor.ingest(mk('exec-failed', T0 + i * S, { containerId: ID, reason: 'no_such_process', source: 'kubelet' }));
    for (let i = 0; i < 5; i++) cor.ingest(mk('probe-errored', T0 + i * S, { namespace: 'ns', pod: 'p', container: 'c', reason: 'permission_denied', source: 'kubelet' }));
    expect([...cor.containers()].every((c) => c.execTotal === 0)).toBe(true);
  });
});

describe('default runtime timeline', () => {
  const report = (name: string, file: string, line: number): ConfigReport => ({
    crioVersion: '1.30.0',
    files: [],
    effective: {
      defaultRuntime: { name, source: { file, line } },
      runtimes: {
        [name]: { runtimePath: '/usr/bin/nvidia-container-runtime', runtimeType: 'oci', runtimeRoot: '/run/runc', monitorPath: '', isNvidia: true, source: { file, line } },
      },
    },
    evaluated: true,
    crioWouldStart: true,
    startError: null,
    lowLevelRuntime: null,
    findings: [],
  });

  it('a SIGHUP changes the configured default only; a restart changes the runtime layer', () => {
    const { cor, tl } = setup();
    cor.ingest(mk('crio-start', T0, { version: '1.31.0' }));
    cor.ingest(mk('config-dump', T0 + 1, { value: 'runc', handler: 'crun,runc' }));
    cor.ingest(mk('reload-watcher', T0 + 2));
    cor.ingest(mk('reload-start', T0 + MIN));
    cor.ingest(mk('config-set', T0 + MIN + 1, { option: 'default_runtime', value: 'nvidia' }));
    cor.ingest(mk('reload-done', T0 + MIN + 2));
    cor.ingest(mk('config-dump', T0 + MIN + 3, { value: 'nvidia' }));
    expect(tl.configured()?.name).toBe('nvidia');
    expect(tl.runtimeLayer()?.name).toBe('runc');
    expect(tl.inForce()?.name).toBe('runc');
    // events are stamped with the runtime layer's default
    cor.ingest(mk('kill-failed', T0 + 2 * MIN, { containerId: ID, reason: 'other', runtimePath: '/usr/sbin/runc' }));
    expect([...cor.containers()][0]!.defaultAtFailure?.name).toBe('runc');
    // restart: CRI-O < 1.32 (no dump), the configured default becomes the runtime layer's
    cor.ingest(mk('crio-start', T0 + 3 * MIN, { version: '1.31.0' }));
    cor.ingest(mk('reload-watcher', T0 + 3 * MIN + 1));
    expect(tl.runtimeLayer()?.name).toBe('nvidia');
    expect(tl.entries().map((e) => e.defaultRuntime)).toEqual(['runc', 'nvidia', 'nvidia']);
    expect(tl.entries()[1]!.source).toMatch(/configured only; the runtime layer keeps runc until CRI-O restarts/);
    expect(tl.entries()[2]!.source).toMatch(/^journal: CRI-O start/);
  });

  it('seeds from the files with their provenance, and names the file when the journal agrees', () => {
    const p = createEventPipeline({ clock: () => T0, config: report('nvidia', '/etc/crio/crio.conf.d/99-nvidia.conf', 3) });
    const s0 = p.snapshot(T0);
    expect(s0.defaultRuntimeTimeline).toEqual([{ at: new Date(T0).toISOString(), defaultRuntime: 'nvidia', source: 'files: /etc/crio/crio.conf.d/99-nvidia.conf line 3' }]);
    const e: JournalEntry = {
      cursor: null,
      realtimeUs: (T0 + MIN) * 1000,
      unit: 'crio.service',
      identifier: 'crio',
      transport: 'stdout',
      pid: 1,
      streamId: null,
      bootId: null,
      message: 'time="2026-01-01T00:01:00Z" level=info msg="Current CRI-O configuration:\\n[crio.runtime]\\n  default_runtime = \\"nvidia\\"\\n"',
    };
    p.ingest(e);
    const s1 = p.snapshot(T0 + MIN);
    expect(s1.defaultRuntimeTimeline[1]?.source).toBe('journal: startup config dump; files: /etc/crio/crio.conf.d/99-nvidia.conf line 3');
  });
});

describe('bounded state', () => {
  it('200k distinct containers keep every map within its cap', () => {
    const counters = { kill: 0, labels: new Set<string>() };
    const sink: EventCounters = {
      killFailure: (reason, runtime, def) => {
        counters.kill++;
        counters.labels.add(`${reason}|${runtime}|${def}`);
      },
      stopRpcFailure: () => undefined,
      execPermissionDenied: () => undefined,
      apparmorDenial: () => undefined,
    };
    const { cor } = setup({}, { maxContainers: 5000, maxPods: 1000, maxLabelValues: 4 }, sink);
    for (let i = 0; i < 200_000; i++) {
      const id = hex(i + 1);
      const pod = i % 4 === 0 ? { namespace: `ns${i % 50}`, pod: `p${i}`, sandboxId: hex(10_000_000 + i) } : {};
      cor.ingest(mk('container-started', T0 + i, { containerId: id, container: 'c', ...pod }));
      if (i % 10 === 0) cor.ingest(mk('kill-failed', T0 + i, { containerId: id, reason: 'permission_denied', runtimePath: `/opt/runc-${(i / 10) % 40}` }));
      if (i % 7 === 0) cor.ingest(mk('exec-failed', T0 + i, { containerId: id, reason: 'permission_denied' }));
    }
    const st = cor.stats();
    expect(st.containers).toBeLessThanOrEqual(5000);
    expect(st.pods).toBeLessThanOrEqual(1000);
    expect(st.containerEvictions).toBeGreaterThanOrEqual(195_000);
    expect(st.podEvictions).toBeGreaterThanOrEqual(49_000);
    expect(counters.kill).toBe(20_000);
    // runtime label folded to <= 4 values + "other"
    const runtimes = new Set([...counters.labels].map((l) => l.split('|')[1]));
    expect(runtimes.size).toBeLessThanOrEqual(5);
    expect(runtimes.has('other')).toBe(true);
  });

  it('the pipeline snapshot stays bounded under churn', () => {
    const p = createEventPipeline({ clock: () => T0, config: null, limits: { maxContainers: 2000 } });
    for (let i = 0; i < 20_000; i++) {
      const id = hex(i + 1);
      p.ingest({
        cursor: null,
        realtimeUs: (T0 + i) * 1000,
        unit: 'crio.service',
        identifier: 'crio',
        transport: 'stdout',
        pid: 1,
        streamId: null,
        bootId: null,
        message: `time="2026-01-01T00:00:00Z" level=error msg="Killing container ${id} failed: \`/usr/sbin/runc --root /run/runc kill ${id} KILL\` failed: permission denied\\n : exit status 1"`,
      });
    }
    const s = p.snapshot(T0 + 20_000);
    expect(s.entries).toBe(20_000);
    expect(s.killFailures.length).toBeLessThanOrEqual(200);
    expect(p.stats().correlator.containers).toBeLessThanOrEqual(2000);
    expect(p.stats().correlator.containers).toBeGreaterThan(1900);
  });
});

describe('event findings and counters', () => {
  it('handler-missing-for-pods from a kubelet error, active while recent', () => {
    const { cor, tl } = setup({ recentMs: 15 * MIN });
    cor.ingest(mk('handler-missing', T0, { source: 'kubelet', handler: 'nvidia', reason: 'handler_missing', line: 'failed to find runtime handler nvidia from runtime list map[crun:0x1 runc:0x2]' }));
    const d = eventFindings(cor, tl, T0 + MIN).find((x) => x.id === 'handler-missing-for-pods');
    const f = d ? finalizeDraft(d, new Set()) : undefined;
    expect(f).toMatchObject({ severity: 'critical', summary: expect.stringContaining('"nvidia"') });
    expect(f!.remediation).toContain('[crio.runtime.runtimes.nvidia]');
    expect(eventFindings(cor, tl, T0 + 16 * MIN).some((x) => x.id === 'handler-missing-for-pods')).toBe(false);
  });

  it('reload-failed until a later successful reload or a restart', () => {
    const { cor, tl } = setup();
    cor.ingest(mk('reload-start', T0));
    cor.ingest(mk('reload-failed', T0 + 1, { error: 'unable to reload runtimes: default_runtime set to "nvidia", but no runtime entry table' }));
    expect(eventFindings(cor, tl, T0 + MIN).map((f) => f.id)).toEqual(['reload-failed']);
    cor.ingest(mk('reload-start', T0 + 2 * MIN));
    cor.ingest(mk('reload-done', T0 + 2 * MIN + 1));
    expect(eventFindings(cor, tl, T0 + 3 * MIN)).toEqual([]);
  });

  it('apparmor-signal-denied only for signals from runc/crun; every denial is counted by operation and comm', () => {
    const seen: string[] = [];
    const sink: EventCounters = {
      killFailure: () => undefined,
      stopRpcFailure: () => undefined,
      execPermissionDenied: () => undefined,
      apparmorDenial: (op, comm) => void seen.push(`${op}/${comm}`),
    };
    const { cor, tl } = setup({}, {}, sink);
    cor.ingest(mk('apparmor-denied', T0, { source: 'kernel', operation: 'open', comm: 'nginx', profile: 'crio-default' }));
    expect(eventFindings(cor, tl, T0)).toEqual([]);
    cor.ingest(mk('apparmor-denied', T0 + 1, { source: 'kernel', operation: 'signal', comm: 'runc', peer: 'runc', signal: 'kill' }));
    expect(eventFindings(cor, tl, T0 + 2).map((f) => f.id)).toEqual(['apparmor-signal-denied']);
    expect(seen).toEqual(['open/nginx', 'signal/runc']);
  });

  it('stamps every event with the default in force and feeds bounded counters (sample journal)', async () => {
    const { readJournalFile } = await import('../../src/journal/file-source.js');
    const { SAMPLE_JOURNAL } = await import('./sample.js');
    const calls: string[] = [];
    const sink: EventCounters = {
      killFailure: (r, rt, d) => void calls.push(`kill ${r} ${rt} ${d}`),
      stopRpcFailure: (rpc, d) => void calls.push(`rpc ${rpc} ${d}`),
      execPermissionDenied: (d) => void calls.push(`exec ${d}`),
      apparmorDenial: (o, c) => void calls.push(`aa ${o} ${c}`),
    };
    const stamped: Event[] = [];
    const p = createEventPipeline({ clock: () => T0, config: null, counters: sink, onEvent: (e) => void stamped.push(e) });
    await readJournalFile(SAMPLE_JOURNAL, { entry: (e) => p.ingest(e), skip: () => undefined });
    const count = (s: string) => calls.filter((c) => c === s).length;
    expect(count('kill permission_denied nvidia-container-runtime nvidia')).toBe(10);
    expect(count('rpc StopContainer nvidia')).toBe(2);
    expect(count('rpc StopPodSandbox nvidia')).toBe(1);
    expect(count('rpc KillContainer nvidia')).toBe(2); // B11 69 and 77; the B10 duplicate (68) is not counted
    expect(count('rpc KillPodSandbox nvidia')).toBe(1);
    expect(count('exec nvidia')).toBe(4);
    expect(calls).toHaveLength(20);
    const kill = stamped.find((e) => e.kind === 'kill-failed')!;
    expect(kill).toMatchObject({ defaultRuntime: 'nvidia', defaultSource: 'journal: startup config dump' });
    // before the startup dump nothing is known
    expect(stamped[0]!.defaultRuntime).toBeUndefined();
  });
});
