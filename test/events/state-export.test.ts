/**
 * The checkpoint's export looks only at the containers that can be in it (src/events/correlator.ts,
 * `candidates`) and remembers each container's JSON until it changes: a pipeline that exports after
 * every step must export exactly what a fresh pipeline fed the same steps exports at once (a walk
 * over every container, no remembered JSON), and its JSON export must be JSON.stringify of that. On the demo incident, the
 * reference sample, the real capture and a generated bench journal; with the default caps and with
 * caps small enough that containers are evicted and moved in the map; with CRI exit confirmations
 * interleaved (exits confirmed from outside the journal).
 */
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createEventPipeline, type EventPipeline } from '../../src/events/pipeline.js';
import { createCorrelator } from '../../src/events/correlator.js';
import { createDefaultTimeline } from '../../src/events/default-timeline.js';
import type { Event } from '../../src/events/event.js';
import { readJournalFile } from '../../src/journal/file-source.js';
import { createJournalGenerator, toJournalEntry } from '../../bench/generate.js';
import { REAL_INCIDENT, SAMPLE_JOURNAL } from './sample.js';

const DEMO = new URL('../../examples/incidents/nvidia-default.jsonl', import.meta.url).pathname;

async function load(file: string): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  await readJournalFile(file, { entry: (e) => void out.push(e), skip: () => undefined });
  return out;
}

function generated(n: number): JournalEntry[] {
  const gen = createJournalGenerator({ entries: n, containers: 60 });
  const out: JournalEntry[] = [];
  for (let e = gen.next(); e !== null; e = gen.next()) out.push(toJournalEntry(e));
  return out;
}

/** a journal entry, or a CRI poll confirming a container's exit at that time */
type Step = { entry: JournalEntry } | { exitOf: string; atMs: number };

/**
 * Exits confirmed from outside the journal (a CRI poll): every 5th container a stop was requested
 * for, 3 entries later; and every 7th entry, a container named long before (its stop may have ended
 * or failed since, so the confirmation may come to a container the export had left out).
 */
function withCriExits(entries: JournalEntry[]): Step[] {
  const steps: Step[] = [];
  const pending: { id: string; due: number }[] = [];
  const seen: string[] = [];
  let stops = 0;
  entries.forEach((entry, k) => {
    steps.push({ entry });
    const atMs = Math.floor(entry.realtimeUs / 1000);
    for (const m of entry.message.matchAll(/\b[0-9a-f]{64}\b/g)) if (!seen.includes(m[0])) seen.push(m[0]);
    const m = /(?:Stopping container:? |StopContainer.*containerID=")([0-9a-f]{64})/.exec(entry.message);
    if (m && stops++ % 5 === 0) pending.push({ id: m[1]!, due: k + 3 });
    while (pending.length > 0 && pending[0]!.due <= k) steps.push({ exitOf: pending.shift()!.id, atMs });
    if (k % 7 === 6 && seen.length > 0) steps.push({ exitOf: seen[(k * 31) % seen.length]!, atMs });
  });
  return steps;
}

function apply(p: EventPipeline, s: Step): void {
  if ('entry' in s) p.ingest(s.entry);
  else p.confirmExit(s.exitOf, s.atMs, 'cri: exited', 0);
}

describe('the checkpoint export looks only at its candidates, and exports what a walk over every container exports', () => {
  // short thresholds: ranks fall while the journal goes on, so containers are left out and changed later
  const short = { stuckAfterMs: 50, defaultGraceS: 0, recentMs: 5_000, execLoopQuietMs: 2_000, killLoopAfterGraceMs: 100 };
  const caps = [
    ['default caps', {}, {}],
    ['small caps (evictions)', { maxContainers: 16, maxPods: 8 }, {}],
    ['short thresholds', {}, short],
    ['short thresholds, small caps', { maxContainers: 16, maxPods: 8 }, short],
  ] as const;
  for (const [name, source, every] of [
    ['demo incident', () => load(DEMO), 1],
    ['reference sample', () => load(SAMPLE_JOURNAL), 1],
    ['real CRI-O 1.31.0 capture', () => load(REAL_INCIDENT), 1],
    ['generated bench journal', async () => generated(3000), 37],
  ] as const) {
    for (const [capName, limits, thresholds] of caps) {
      it(`${name}, ${capName}`, async () => {
        const steps = withCriExits(await source());
        expect(steps.length).toBeGreaterThan(20);
        const make = () => createEventPipeline({ clock: () => 0, config: null, limits, thresholds });
        const a = make();
        let compared = 0;
        let nonEmpty = 0;
        for (let k = 0; k < steps.length; k++) {
          apply(a, steps[k]!);
          // the checkpoint's JSON (remembered per container until it changes) at every step, the objects every other step
          const got = k % 2 === 0 ? a.exportStateJson() : JSON.stringify(a.exportState());
          if (k % every !== 0 && k !== steps.length - 1) continue;
          const b = make();
          for (let j = 0; j <= k; j++) apply(b, steps[j]!);
          const want = JSON.stringify(b.exportState());
          if (got !== want) expect({ k, got: JSON.parse(got) }).toEqual({ k, got: JSON.parse(want) });
          expect(got).toBe(want);
          compared++;
          if ((JSON.parse(got) as { correlator: { containers: unknown[] } }).correlator.containers.length > 0) nonEmpty++;
        }
        expect(compared).toBeGreaterThan(10);
        expect(nonEmpty).toBeGreaterThan(0);
      });
    }
  }
});

describe('a container the export left out is looked at again when something changes it', () => {
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  const MIN = 60_000;
  const ID = 'ab'.repeat(32);
  const mk = (kind: Event['kind'], atMs: number, extra: Partial<Event> = {}): Event => ({ kind, pattern: 'test', source: 'crio', atMs, line: `${kind} line`, ...extra });
  /** a stop that "Stopped container" (A2) ended after the stuck threshold: rank 0, not live, left out */
  const history = [
    mk('container-started', T0, { containerId: ID, namespace: 'ns', pod: 'p', container: 'main' }),
    mk('stop-requested', T0 + MIN, { containerId: ID, gracePeriodS: 30 }),
    mk('stopped-weak', T0 + 5 * MIN, { containerId: ID }),
  ];
  const fresh = () => createCorrelator({ timeline: createDefaultTimeline() });
  const ids = (cor: ReturnType<typeof fresh>, at: number) => {
    const fromJson = (JSON.parse(cor.exportStateJson(at)) as { containers: { id: string; exitedAtMs?: number; kubeletFailures: number }[] }).containers;
    const st = cor.exportState(at);
    expect(fromJson).toEqual(JSON.parse(JSON.stringify(st.containers)));
    return st.containers.map((c) => c.id);
  };

  it('an exit confirmed from outside the journal (CRI) long after: the stop was stuck and ended recently', () => {
    const steps = (cor: ReturnType<typeof fresh>) => {
      for (const ev of history) cor.ingest(ev);
      return cor;
    };
    const a = steps(fresh());
    expect(ids(a, T0 + 6 * MIN)).toEqual([]);
    expect(a.confirmExit(ID, T0 + 7 * MIN, 'cri: exited', 0)).toBe(true);
    const b = steps(fresh());
    b.confirmExit(ID, T0 + 7 * MIN, 'cri: exited', 0);
    expect(ids(b, T0 + 8 * MIN)).toEqual([ID]);
    expect(ids(a, T0 + 8 * MIN)).toEqual([ID]);
  });

  it('a kubelet KillContainer failure named by a pod sync error (the container found by its name)', () => {
    const a = fresh();
    for (const ev of history) a.ingest(ev);
    expect(ids(a, T0 + 6 * MIN)).toEqual([]);
    const sync = mk('pod-sync-error', T0 + 7 * MIN, { source: 'kubelet', namespace: 'ns', pod: 'p', actions: [{ action: 'KillContainer', target: 'main', reason: 'permission_denied' }] });
    a.ingest(sync);
    const b = fresh();
    for (const ev of [...history, sync]) b.ingest(ev);
    expect(ids(b, T0 + 8 * MIN)).toEqual([ID]);
    expect(ids(a, T0 + 8 * MIN)).toEqual([ID]);
  });
});
