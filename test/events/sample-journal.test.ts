/**
 * sample-journal.txt through the real text parser (src/journal) and the event engine:
 * every EXPECTED DETECTION of its header, by entry number, then the correlated picture.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createClassifier } from '../../src/events/classifier.js';
import type { Event } from '../../src/events/event.js';
import { createEventPipeline } from '../../src/events/pipeline.js';
import { readJournalFile } from '../../src/journal/file-source.js';
import { SAMPLE_JOURNAL } from './sample.js';
import { evaluateFindings } from '../../src/findings/engine.js';

const TRAINER = '06ea17a8981d25b0315ff17bd1ebad3d95c15a3f8b764eaadb93612d9b61a54e';
const SIDECAR = '177a7ea3611fe6b138557deaf44941614b66c0ece1766308044c8b65c8ba2123';
const SANDBOX = 'b7ad567477c83756aab9a542b2be04f77dbae25115d85f22070d74d8cc4779dc';
const UID = '3f6c2a9e-8b1d-4c57-9e0a-5d2b7c41f8aa';

let entries: JournalEntry[] = [];
/** events[N] = the event classified from entry N (1-based), or null */
let events: (Event | null)[] = [];

beforeAll(async () => {
  const got: JournalEntry[] = [];
  const r = await readJournalFile(SAMPLE_JOURNAL, { entry: (e) => void got.push(e), skip: () => undefined });
  expect(r.format).toBe('text');
  entries = got;
  const c = createClassifier();
  events = [null, ...entries.map((e) => c.classify(e))];
});

const ev = (n: number): Event => {
  const e = events[n];
  if (!e) throw new Error(`entry ${n} was not classified`);
  return e;
};
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('sample journal: expected detections by class', () => {
  it('parses 93 entries (entry N = N-th non-comment line)', () => {
    expect(entries).toHaveLength(93);
  });

  it('(a) CRI-O stop requested: 39, 40, 72; sandbox 62, 75', () => {
    for (const n of [39, 40, 72]) expect(ev(n)).toMatchObject({ kind: 'stop-requested', pattern: 'A1', gracePeriodS: 30 });
    expect(ev(39).containerId).toBe(TRAINER);
    expect(ev(40).containerId).toBe(SIDECAR);
    for (const n of [62, 75]) expect(ev(n)).toMatchObject({ kind: 'sandbox-stop-requested', sandboxId: SANDBOX });
  });

  it('(a) stop timed out -> kill: 45', () => {
    expect(ev(45)).toMatchObject({ kind: 'stop-timeout', pattern: 'A3', containerId: TRAINER });
  });

  it('(a) kill failures with the NVIDIA wrapper as the runtime that ran: 46-52, 57, 65, 73', () => {
    const kills = [...range(46, 52), 57, 65, 73];
    for (const n of kills) {
      expect(ev(n)).toMatchObject({ kind: 'kill-failed', containerId: TRAINER, reason: 'permission_denied', runtimePath: '/usr/bin/nvidia-container-runtime', runtimeRoot: '/run/runc' });
    }
    const all = events.filter((e) => e?.kind === 'kill-failed');
    expect(all).toHaveLength(kills.length);
  });

  it('(a) blocked process: 64', () => {
    expect(ev(64)).toMatchObject({ kind: 'blocked-process', pattern: "A5'", containerId: TRAINER });
  });

  it('(b) kubelet stop issued: 37, 38, 71', () => {
    for (const n of [37, 38, 71]) expect(ev(n)).toMatchObject({ kind: 'stop-requested', pattern: 'B1', podUID: UID, gracePeriodS: 30 });
    expect(ev(38)).toMatchObject({ containerId: SIDECAR, container: 'metrics-exporter' });
  });

  it('(b) StopContainer RPC failures 58, 74; StopPodSandbox 66', () => {
    for (const n of [58, 74]) expect(ev(n)).toMatchObject({ kind: 'stop-rpc-failed', rpc: 'StopContainer', containerId: TRAINER, reason: 'deadline_exceeded' });
    expect(ev(66)).toMatchObject({ kind: 'stop-rpc-failed', rpc: 'StopPodSandbox', sandboxId: SANDBOX });
  });

  it('(b) per-container kill failures 59, 60; per-sandbox 67', () => {
    expect(ev(59)).toMatchObject({ kind: 'kubelet-kill-failed', pattern: 'B2', containerId: TRAINER, container: 'trainer', podUID: UID });
    expect(ev(60)).toMatchObject({ kind: 'kubelet-kill-failed', pattern: 'B4', containerId: TRAINER });
    expect(ev(67)).toMatchObject({ kind: 'sandbox-kill-failed', pattern: 'B6', sandboxId: SANDBOX });
  });

  it('(b) aggregates: 68 and 69 name KillContainer + KillPodSandbox; 77 KillContainer only', () => {
    const both = [
      { action: 'KillContainer', target: 'trainer', reason: 'deadline_exceeded' },
      { action: 'KillPodSandbox', target: UID, reason: 'deadline_exceeded' },
    ];
    expect(ev(68)).toMatchObject({ kind: 'pod-sync-error', pattern: 'B10', duplicate: true, actions: both });
    expect(ev(69)).toMatchObject({ kind: 'pod-sync-error', pattern: 'B11', namespace: 'ml-train', podUID: UID, actions: both });
    expect(ev(69).duplicate).toBeUndefined();
    expect(ev(77).actions).toEqual([{ action: 'KillContainer', target: 'trainer', reason: 'deadline_exceeded' }]);
  });

  it('(c) exec permission denied: one event per 4-entry record (22, 26, 30, 56), a verdict at 34, nothing for the header-only 35', () => {
    for (const n of [22, 26, 30, 56]) expect(ev(n)).toMatchObject({ kind: 'exec-failed', containerId: TRAINER, reason: 'permission_denied' });
    for (const n of [...range(19, 21), ...range(23, 25), ...range(27, 29), ...range(31, 33), 35, ...range(53, 55)]) expect(events[n], `entry ${n}`).toBeNull();
    expect(ev(34)).toMatchObject({ kind: 'probe-errored', container: 'trainer', option: 'Readiness', reason: 'permission_denied' });
    expect(events.filter((e) => e?.kind === 'exec-failed')).toHaveLength(4);
  });

  it('(d) version 6; runtimes 8, 9, 10, 89, 90; default nvidia 11 (and 5 names the drop-in)', () => {
    expect(ev(6)).toMatchObject({ kind: 'crio-start', version: '1.33.4' });
    for (const n of [8, 9, 10, 89, 90]) expect(ev(n).kind).toBe('runtime-handler');
    expect(ev(9).handler).toMatch(/^NVIDIA Container Runtime version 1\.17\.8/);
    expect(ev(11)).toMatchObject({ kind: 'config-dump', value: 'nvidia' });
    expect(ev(5)).toMatchObject({ kind: 'config-file', file: '/etc/crio/crio.conf.d/99-nvidia.conf' });
  });

  it('(d) reload and default changed to crun: 78, 79, 88, 91, 92, 93', () => {
    expect(ev(78)).toMatchObject({ kind: 'systemd-reload', option: 'Reloading' });
    expect(ev(79).kind).toBe('reload-start');
    expect(ev(88)).toMatchObject({ kind: 'config-set', option: 'default_runtime', value: 'crun' });
    expect(ev(91).kind).toBe('reload-done');
    expect(ev(92)).toMatchObject({ kind: 'config-dump', value: 'crun' });
    expect(ev(93)).toMatchObject({ kind: 'systemd-reload', option: 'Reloaded' });
  });

  it('pairing: start 16-18, exit 41 (conmon prefix resolved), 43, 44; stop success 42; confounders 61, 70 are weak', () => {
    expect(ev(16)).toMatchObject({ kind: 'container-created', containerId: TRAINER, container: 'trainer' });
    expect(ev(17)).toMatchObject({ kind: 'container-started', containerId: TRAINER, sandboxId: SANDBOX });
    expect(ev(18)).toMatchObject({ kind: 'container-started', containerId: TRAINER, podUID: UID });
    expect(ev(41)).toMatchObject({ kind: 'container-exited', pattern: 'M1', containerId: SIDECAR, exitCode: 143 });
    expect(ev(43)).toMatchObject({ kind: 'container-exited', pattern: 'B13', containerId: SIDECAR, exitCode: 143 });
    expect(ev(44)).toMatchObject({ kind: 'container-exited', pattern: 'B12p', containerId: SIDECAR });
    expect(ev(42)).toMatchObject({ kind: 'stopped-weak', containerId: SIDECAR });
    expect(ev(61)).toMatchObject({ kind: 'stopped-weak', containerId: TRAINER });
    expect(ev(70)).toMatchObject({ kind: 'sandbox-stopped-weak', sandboxId: SANDBOX });
  });

  it('noise (7, 12-15, 63, 80-87) yields no failure event', () => {
    const failureKinds = new Set(['kill-failed', 'kubelet-kill-failed', 'stop-rpc-failed', 'exec-failed', 'pod-sync-error', 'reload-failed', 'handler-missing', 'apparmor-denied']);
    for (const n of [7, ...range(12, 15), 63, ...range(80, 87)]) expect(failureKinds.has(events[n]?.kind ?? ''), `entry ${n}`).toBe(false);
    for (const n of [13, 15]) expect(events[n]).toBeNull();
  });
});

describe('sample journal: correlated', () => {
  function run(upToEntry = 93, thresholds = {}) {
    const p = createEventPipeline({ clock: () => 0, config: null, thresholds });
    for (const e of entries.slice(0, upToEntry)) p.ingest(e);
    return p;
  }
  const atEntry = (n: number): number => Math.floor(entries[n - 1]!.realtimeUs / 1000);

  it('reports the GPU pod stuck Terminating, not its exited sidecar', () => {
    const p = run();
    const s = p.snapshot(p.lastEntryAtMs()!);
    expect(s.stuckTerminating).toHaveLength(1);
    expect(s.stuckTerminating[0]).toMatchObject({ namespace: 'ml-train', pod: 'llama-ft-7d9c8b5f4-x2k9q', podUID: UID, containerIds: [TRAINER], resolved: false, firstStopAt: '2025-11-28T10:14:30.612Z' });
    expect(s.stuckTerminating[0]!.stuckSeconds).toBe(995);
    const stuck = evaluateFindings({ events: p.findingsSource(p.lastEntryAtMs()!) }).filter((f) => f.id === 'pod-stuck-terminating');
    expect(stuck).toHaveLength(1);
    expect(stuck[0]!.subject).toMatchObject({ namespace: 'ml-train', pod: 'llama-ft-7d9c8b5f4-x2k9q', podUID: UID });
  });

  it('reports the kill failures with the wrapper as the runtime that ran, under the nvidia default', () => {
    const p = run();
    const s = p.snapshot(p.lastEntryAtMs()!);
    expect(s.killFailures).toEqual([
      { containerId: TRAINER, count: 10, reason: 'permission_denied', runtimePath: '/usr/bin/nvidia-container-runtime', namespace: 'ml-train', pod: 'llama-ft-7d9c8b5f4-x2k9q' },
    ]);
    expect(s.stopRpcFailures).toBe(3);
    const f = evaluateFindings({ events: p.findingsSource(p.lastEntryAtMs()!) }).find((x) => x.id === 'stop-failures-under-nvidia-default');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence.join('\n')).toContain('runtime that ran: /usr/bin/nvidia-container-runtime --root /run/runc');
    expect(f?.evidence.join('\n')).toContain('default runtime in force at 2025-11-28T10:15:00.671Z: nvidia');
  });

  it('reports the exec loop (3 retries in one period) and names the pod', () => {
    const p = run();
    const s = p.snapshot(p.lastEntryAtMs()!);
    expect(s.execPermissionDenied).toEqual([{ containerId: TRAINER, count: 4, loop: true, active: false, namespace: 'ml-train', pod: 'llama-ft-7d9c8b5f4-x2k9q', container: 'trainer' }]);
    // active while failures keep coming (at entry 56), cleared after the 5 min quiet period (at the end)
    expect(evaluateFindings({ events: p.findingsSource(atEntry(56)) }).some((f) => f.id === 'exec-permission-denied-loop')).toBe(true);
    expect(evaluateFindings({ events: p.findingsSource(p.lastEntryAtMs()!) }).some((f) => f.id === 'exec-permission-denied-loop')).toBe(false);
  });

  it('Probe errored is a verdict, not a fourth attempt: a threshold of 4 does not make a loop in the first period', () => {
    const p = run(34, { execLoopCount: 4 });
    expect(p.snapshot(atEntry(34)).execPermissionDenied[0]).toMatchObject({ count: 3, loop: false });
  });

  it('reports the reload that changed the configured default while the runtime layer keeps nvidia', () => {
    const p = run();
    const s = p.snapshot(p.lastEntryAtMs()!);
    expect(s.defaultRuntimeTimeline.map((t) => [t.at, t.defaultRuntime])).toEqual([
      ['2025-11-28T09:58:02.463Z', 'nvidia'],
      ['2025-11-28T10:31:05.020Z', 'crun'],
    ]);
    expect(s.defaultRuntimeTimeline[1]!.source).toMatch(/reload/);
    expect(s.crio).toMatchObject({ version: '1.33.4', configuredDefault: 'crun', runtimeLayerDefault: 'nvidia', lastStartAt: '2025-11-28T09:58:02.118Z' });
  });

  it('does not treat the confounders 61 (Stopped container) and 70 (Stopped pod sandbox) as recovery', () => {
    // just after 70, and 2 min after 61 without the later kill failures being known yet
    const p = run(70);
    const s = p.snapshot(atEntry(70));
    expect(s.stuckTerminating.find((x) => x.containerIds.includes(TRAINER))?.resolved).toBe(false);
    // entry 65 (kill failure after 61) keeps it unresolved until the end
    const all = run();
    expect(all.snapshot(all.lastEntryAtMs()!).stuckTerminating[0]!.resolved).toBe(false);
  });

  it('the sidecar is never stuck: its exit (41) is confirmed within the grace period', () => {
    const p = run();
    for (const n of [41, 60, 93]) {
      const s = p.snapshot(atEntry(n));
      expect(s.stuckTerminating.flatMap((x) => x.containerIds)).not.toContain(SIDECAR);
    }
  });

  it('the pod counts as stuck once kill failures continue 60 s past the grace period (or grace + 2 min passed)', () => {
    // first stop 10:14:30.612, grace 30 s: kill failures at 10:15:00-10:15:51 are not yet "keep coming"
    expect(run(56).snapshot(Date.parse('2025-11-28T10:16:40Z')).stuckTerminating).toEqual([]);
    // entry 57 (10:16:45) is a kill failure more than grace + 60 s after the stop
    expect(run(57).snapshot(atEntry(57)).stuckTerminating).toHaveLength(1);
    // with no kill failure lines at all, grace + 2 min decides
    const p = createEventPipeline({ clock: () => 0, config: null });
    for (const e of entries.slice(0, 45)) p.ingest(e);
    expect(p.snapshot(Date.parse('2025-11-28T10:16:59Z')).stuckTerminating).toEqual([]);
    expect(p.snapshot(Date.parse('2025-11-28T10:17:01Z')).stuckTerminating).toHaveLength(1);
  });
});
