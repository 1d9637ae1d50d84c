/**
 * The event pipeline's persisted state (src/events/state-store.ts): a pipeline restored from the
 * state exported after entry k, fed the entries after k, ends exactly where one uninterrupted
 * pipeline ends, for every k (the demo incident, the reference sample, the real capture); a state
 * that is not one this version wrote is refused with a StateError and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createEventPipeline } from '../../src/events/pipeline.js';
import { MAX_PERSISTED_CONTAINERS, MAX_PERSISTED_LIVE } from '../../src/events/correlator.js';
import { EVENT_STATE_VERSION, StateError } from '../../src/events/state-store.js';
import { readJournalFile } from '../../src/journal/file-source.js';
import { REAL_INCIDENT, SAMPLE_JOURNAL } from './sample.js';

const DEMO = new URL('../../examples/incidents/nvidia-default.jsonl', import.meta.url).pathname;

async function load(file: string): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  await readJournalFile(file, { entry: (e) => void out.push(e), skip: () => undefined });
  return out;
}

const pipeline = () => createEventPipeline({ clock: () => 0, config: null });

/** JSON round trip, as the file does it */
const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('event state across a restart', () => {
  for (const [name, file] of [
    ['demo incident', DEMO],
    ['reference sample', SAMPLE_JOURNAL],
    ['real CRI-O 1.31.0 capture', REAL_INCIDENT],
  ] as const) {
    it(`${name}: restored at every entry, the end state equals the uninterrupted one`, async () => {
      const entries = await load(file);
      expect(entries.length).toBeGreaterThan(20);
      const full = pipeline();
      for (const e of entries) full.ingest(e);
      const at = full.lastEntryAtMs()! + 60 * 60_000; // an hour later: stuck pods are stuck, loops quiet
      const want = full.snapshot(at);
      for (let k = 0; k <= entries.length; k++) {
        const a = pipeline();
        for (const e of entries.slice(0, k)) a.ingest(e);
        const b = pipeline();
        b.importState(roundTrip(a.exportState()));
        for (const e of entries.slice(k)) b.ingest(e);
        const got = b.snapshot(at);
        if (JSON.stringify(got) !== JSON.stringify(want)) expect({ k, got }).toEqual({ k, got: want });
        // and at the restart itself, the restored pipeline says what the old one said
        expect(JSON.stringify(roundTripped(a, k, entries))).toBe(JSON.stringify(a.snapshot(a.lastEntryAtMs() ?? 0)));
      }
    });
  }

  it('the demo incident: the 3 stuck pods are still stuck after a restart at the end of the replay', async () => {
    const entries = await load(DEMO);
    const a = pipeline();
    for (const e of entries) a.ingest(e);
    const b = pipeline();
    b.importState(roundTrip(a.exportState()));
    const at = a.lastEntryAtMs()! + 24 * 60 * 60_000;
    const stuck = b.snapshot(at).stuckTerminating.filter((s) => !s.resolved);
    expect(stuck.map((s) => `${s.namespace}/${s.pod}`).sort()).toEqual(['gpu-monitoring/dcgm-exporter-8xk2p', 'ml-serve/triton-infer-6b8f9d7c5-qw4lz', 'ml-train/llama-ft-7d9c8b5f4-x2k9q']);
    // a CRI poll confirming the exits resolves them
    for (const id of b.openStops(at)) expect(b.confirmGone(id, at, 'cri: not listed')).toBe(true);
    expect(b.snapshot(at + 1).stuckTerminating.filter((s) => !s.resolved)).toEqual([]);
  });

  it('is bounded: at most MAX_PERSISTED_CONTAINERS containers, open stops first', () => {
    const a = pipeline();
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const hex = (n: number) => n.toString(16).padStart(64, '0');
    const crio = (ms: number, msg: string): JournalEntry => ({
      cursor: null,
      realtimeUs: ms * 1000,
      unit: 'crio.service',
      identifier: 'crio',
      transport: 'stdout',
      pid: 1,
      streamId: null,
      bootId: null,
      message: `time="2026-01-01T00:00:00Z" level=info msg="${msg}"`,
    });
    for (let i = 0; i < 5000; i++) a.ingest(crio(t0 + i, `Created container ${hex(i + 1)}: ns/p${i}/c`));
    for (let i = 0; i < 1000; i++) a.ingest(crio(t0 + 6000 + i, `Stopping container: ${hex(i + 1)} (timeout: 30s)`));
    const st = a.exportState();
    expect(st.correlator.containers).toHaveLength(MAX_PERSISTED_CONTAINERS);
    const b = pipeline();
    for (let i = 0; i < 5000; i++) b.ingest(crio(t0 + i, `Created container ${hex(i + 1)}: ns/p${i}/c`));
    expect(b.exportState().correlator.containers).toHaveLength(MAX_PERSISTED_LIVE); // live ones without an incident: identity only, fewer
    // open stops outrank live containers; among them the most recent stops are kept
    expect(st.correlator.containers.every((c) => c.firstStopAtMs !== undefined)).toBe(true);
    expect(st.correlator.containers.map((c) => c.id)).toContain(hex(1000));
    // exactly the 512 most recent stops, and the 128 newest live containers, each list in the order the containers were first seen
    const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => hex(from + k));
    expect(st.correlator.containers.map((c) => c.id)).toEqual(range(1000 - MAX_PERSISTED_CONTAINERS + 1, MAX_PERSISTED_CONTAINERS));
    expect(b.exportState().correlator.containers.map((c) => c.id)).toEqual(range(5000 - MAX_PERSISTED_LIVE + 1, MAX_PERSISTED_LIVE));
    // 10 open stops leave room for the newest live ones; the list keeps the order of first sight
    const c = pipeline();
    for (let i = 0; i < 5000; i++) c.ingest(crio(t0 + i, `Created container ${hex(i + 1)}: ns/p${i}/c`));
    for (let i = 0; i < 10; i++) c.ingest(crio(t0 + 6000 + i, `Stopping container: ${hex(2 * i + 1)} (timeout: 30s)`));
    expect(c.exportState().correlator.containers.map((x) => x.id)).toEqual([...Array.from({ length: 10 }, (_, i) => hex(2 * i + 1)), ...range(5000 - MAX_PERSISTED_LIVE + 1, MAX_PERSISTED_LIVE)]);
    expect(JSON.stringify(st).length).toBeLessThan(1_000_000);
  });

  it('refuses what this version did not write, with a reason, and changes nothing', () => {
    const a = pipeline();
    const good = roundTrip(a.exportState()) as Record<string, any>;
    const cases: [unknown, StateError['reason']][] = [
      [null, 'corrupt'],
      ['{"version":1', 'corrupt'],
      [{ ...good, version: EVENT_STATE_VERSION + 1 }, 'version'],
      [{ ...good, version: undefined }, 'version'],
      [{ ...good, entries: 'many' }, 'corrupt'],
      [{ ...good, correlator: { ...good.correlator, containers: [{ id: '../../etc' }] } }, 'corrupt'],
      [{ ...good, correlator: { ...good.correlator, containers: Array.from({ length: MAX_PERSISTED_CONTAINERS + 1 }, () => ({})) } }, 'too_large'],
      [{ ...good, timeline: { ...good.timeline, phase: 'sleeping' } }, 'corrupt'],
    ];
    for (const [bad, reason] of cases) {
      const b = pipeline();
      let err: unknown;
      try {
        b.importState(bad);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(bad)?.slice(0, 80)).toBeInstanceOf(StateError);
      expect((err as StateError).reason).toBe(reason);
      expect(b.stats().entries).toBe(0);
      expect(b.exportState()).toEqual(a.exportState());
    }
  });
});

/** the snapshot of a pipeline restored from `a`'s state, at a's newest entry */
function roundTripped(a: ReturnType<typeof pipeline>, _k: number, _entries: JournalEntry[]) {
  const b = pipeline();
  b.importState(roundTrip(a.exportState()));
  return b.snapshot(a.lastEntryAtMs() ?? 0);
}
