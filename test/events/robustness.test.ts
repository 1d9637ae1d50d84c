/**
 * Bad input never throws out of the event pipeline: mutated sample lines (cut, duplicated quotes,
 * stray backslashes, random bytes) and random garbage, through classifier, joiner and correlator.
 */
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createEventPipeline } from '../../src/events/pipeline.js';
import { sampleEntries } from './sample.js';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('robustness', () => {
  it('mutated and random messages never throw, and the snapshot stays well-formed', () => {
    const rnd = prng(42);
    const base = sampleEntries();
    const p = createEventPipeline({ clock: () => 0, config: null });
    const mutate = (m: string): string => {
      const k = Math.floor(rnd() * 7);
      const at = Math.floor(rnd() * m.length);
      switch (k) {
        case 0:
          return m.slice(0, at);
        case 1:
          return m.slice(0, at) + '"' + m.slice(at);
        case 2:
          return m.slice(0, at) + '\\' + m.slice(at);
        case 3:
          return m.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 0xffff)) + m.slice(at);
        case 4:
          return m.replace(/[0-9a-f]{64}/, (x) => x.slice(0, Math.floor(rnd() * 64)));
        case 5:
          return Array.from({ length: Math.floor(rnd() * 300) }, () => String.fromCharCode(Math.floor(rnd() * 256))).join('');
        default:
          return m + m;
      }
    };
    let n = 0;
    for (let round = 0; round < 200; round++) {
      for (const e of base) {
        const entry: JournalEntry = { ...e, realtimeUs: e.realtimeUs + round * 1e9, message: rnd() < 0.5 ? mutate(e.message) : e.message };
        expect(() => p.ingest(entry)).not.toThrow();
        n++;
      }
    }
    const s = p.snapshot(p.lastEntryAtMs()!);
    expect(s.entries).toBe(n);
    expect(() => JSON.stringify(s)).not.toThrow();
    expect(s.killFailures.every((k) => /^[0-9a-f]{64}$/.test(k.containerId))).toBe(true);
  });
});
