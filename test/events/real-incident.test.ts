/**
 * The real CRI-O 1.31.0 capture (captures/real-incident/, journalctl -o json --all) through the
 * journal engineer's JSON parser and the event pipeline.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createClassifier } from '../../src/events/classifier.js';
import type { Event } from '../../src/events/event.js';
import { createEventPipeline } from '../../src/events/pipeline.js';
import { readJournalFile } from '../../src/journal/file-source.js';
import { REAL_INCIDENT } from './sample.js';
import { evaluateFindings } from '../../src/findings/engine.js';

const CID = '56264251ca7a915c94dd819a3dce1807feebc6186d78d594403cade22056d1bb';
let entries: JournalEntry[] = [];
let events: Event[] = [];

beforeAll(async () => {
  const got: JournalEntry[] = [];
  const r = await readJournalFile(REAL_INCIDENT, { entry: (e) => void got.push(e), skip: () => undefined });
  expect(r.format).toBe('json');
  entries = got;
  const c = createClassifier();
  events = entries.map((e) => c.classify(e)).filter((e): e is Event => e !== null);
});

describe('real incident: CRI-O 1.31.0, NVIDIA wrapper made the default, restart', () => {
  it('classifies 14 kill failures through the wrapper, one stop request, no Stopped container, a conmon exit 137 at the end', () => {
    expect(entries).toHaveLength(122);
    const kills = events.filter((e) => e.kind === 'kill-failed');
    expect(kills).toHaveLength(14);
    for (const k of kills) expect(k).toMatchObject({ containerId: CID, reason: 'permission_denied', runtimePath: '/usr/bin/nvidia-container-runtime', runtimeRoot: '/run/runc' });
    expect(events.filter((e) => e.kind === 'stop-requested')).toEqual([expect.objectContaining({ pattern: 'A1', containerId: CID, gracePeriodS: 10 })]);
    expect(events.filter((e) => e.kind === 'stop-timeout')).toEqual([expect.objectContaining({ pattern: "A3'", containerId: CID })]);
    expect(events.filter((e) => e.kind === 'stopped-weak' || e.kind === 'sandbox-stopped-weak')).toEqual([]);
    const last = events[events.length - 1]!;
    expect(last).toMatchObject({ kind: 'container-exited', pattern: 'M1', containerId: CID, exitCode: 137 });
    expect(events.filter((e) => e.kind === 'crio-start').map((e) => e.version)).toEqual(['1.31.0', '1.31.0']);
  });

  it('sees the container stuck while the kill loop runs and resolved by the conmon exit', () => {
    const p = createEventPipeline({ clock: () => 0, config: null });
    const exitAt = Math.floor(entries.find((e) => e.identifier === 'conmon')!.realtimeUs / 1000);
    for (const e of entries) if (Math.floor(e.realtimeUs / 1000) < exitAt) p.ingest(e);
    const before = p.snapshot(exitAt - 1);
    expect(before.stuckTerminating).toEqual([
      expect.objectContaining({ namespace: 'default', pod: 'gpu-job', containerIds: [CID], resolved: false }),
    ]);
    expect(evaluateFindings({ events: p.findingsSource(exitAt - 1) }).map((f) => f.id).sort()).toEqual(['default-changed-under-running-pods', 'pod-stuck-terminating', 'stop-failures-under-nvidia-default']);

    for (const e of entries) if (Math.floor(e.realtimeUs / 1000) >= exitAt) p.ingest(e);
    const after = p.snapshot(p.lastEntryAtMs()!);
    expect(after.stuckTerminating).toEqual([expect.objectContaining({ namespace: 'default', pod: 'gpu-job', resolved: true })]);
    expect(evaluateFindings({ events: p.findingsSource(p.lastEntryAtMs()!) }).some((f) => f.id === 'pod-stuck-terminating')).toBe(false);
    expect(after.killFailures).toEqual([
      { containerId: CID, count: 14, reason: 'permission_denied', runtimePath: '/usr/bin/nvidia-container-runtime', namespace: 'default', pod: 'gpu-job' },
    ]);
    expect(after.stopRpcFailures).toBe(0);
  });

  it('builds the default timeline runc -> nvidia across the restart', () => {
    const p = createEventPipeline({ clock: () => 0, config: null });
    for (const e of entries) p.ingest(e);
    const s = p.snapshot(p.lastEntryAtMs()!);
    expect(s.defaultRuntimeTimeline.map((t) => [t.defaultRuntime, t.source])).toEqual([
      ['runc', 'journal: startup config dump'],
      ['nvidia', 'journal: startup config dump'],
    ]);
    expect(s.crio).toMatchObject({ version: '1.31.0', configuredDefault: 'nvidia', runtimeLayerDefault: 'nvidia', handlers: ['crun', 'nvidia', 'runc'] });
    const f = evaluateFindings({ events: p.findingsSource(p.lastEntryAtMs()!) }).find((x) => x.id === 'stop-failures-under-nvidia-default');
    expect(f?.evidence.join('\n')).toMatch(/default runtime in force at [^:]+:\d\d:\d\d\.\d+Z: nvidia \(journal: startup config dump\)/);
  });
});
