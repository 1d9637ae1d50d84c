/**
 * Mutation fuzzing of the three parsers: valid input with bytes flipped, ranges deleted or
 * duplicated, random garbage inserted, cut anywhere. The parsers must never throw, and every record
 * must be accounted for: records = delivered + prefiltered + skipped.
 */
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal/entry.js';
import { createExportParser } from '../../src/journal/export-parser.js';
import { createJsonParser } from '../../src/journal/json-parser.js';
import type { StreamParser } from '../../src/journal/sink.js';
import { createTextParser } from '../../src/journal/text-parser.js';
import { toExport } from '../helpers/journal-fixture.js';
import { chunks, collector } from './collect.js';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(input: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(input);
  const ops = 1 + Math.floor(rnd() * 6);
  for (let k = 0; k < ops; k++) {
    const at = Math.floor(rnd() * b.length);
    const op = Math.floor(rnd() * 5);
    if (op === 0) b[at] = Math.floor(rnd() * 256);
    else if (op === 1) b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + Math.floor(rnd() * 64)))]);
    else if (op === 2) {
      const g = Buffer.alloc(Math.floor(rnd() * 128));
      for (let i = 0; i < g.length; i++) g[i] = Math.floor(rnd() * 256);
      b = Buffer.concat([b.subarray(0, at), g, b.subarray(at)]);
    } else if (op === 3) b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 200), b.subarray(at)]);
    else b = b.subarray(0, at);
  }
  return b;
}

function entries(n: number, rnd: () => number) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const kind = Math.floor(rnd() * 4);
    out.push({
      cursor: `s=ab;i=${i.toString(16)}`,
      realtimeUs: 1_795_898_397_733_907 + i,
      unit: kind === 0 ? 'kubelet.service' : 'crio.service',
      identifier: kind === 0 ? 'kubelet' : 'crio',
      pid: 100 + i,
      message: kind === 1 ? `multi\nline ${i}\u0001` : kind === 2 ? Buffer.from([0x41, 0xc3, 0x28, 0x0a, i & 0xff]).toString('latin1') : `time="2026-11-28T10:00:00Z" level=info msg="entry ${i}"`,
    });
  }
  return out;
}

function check(make: (sink: ReturnType<typeof collector>) => StreamParser, data: Buffer, size: number) {
  const c = collector();
  const p = make(c);
  for (const ch of chunks(data, size)) p.push(ch);
  p.end();
  const st = p.stats();
  const skipped = Object.values(st.skipped).reduce((a, b) => a + (b ?? 0), 0);
  expect(st.records).toBe(st.entries + st.filtered + skipped);
  expect(c.entries.length).toBe(st.entries);
  expect(c.skips.length).toBe(skipped);
  for (const e of c.entries as JournalEntry[]) {
    expect(Number.isFinite(e.realtimeUs)).toBe(true);
    expect(typeof e.message).toBe('string');
  }
  return c;
}

describe('parser fuzzing', () => {
  it('export: mutated streams never throw and every record is accounted for', () => {
    const rnd = prng(7);
    const base = toExport(entries(40, rnd));
    const clean = check((s) => createExportParser(s), base, 97);
    expect(clean.entries).toHaveLength(40);
    for (let i = 0; i < 300; i++) {
      const data = mutate(base, rnd);
      const size = 1 + Math.floor(rnd() * 300);
      check((s) => createExportParser(s, { maxFieldBytes: 4096, wantMessage: (m) => m.length % 7 !== 0 }), data, size);
    }
  });

  it('JSON lines: mutated streams never throw and every record is accounted for', () => {
    const rnd = prng(11);
    const lines = entries(40, rnd).map((e) =>
      JSON.stringify({ __CURSOR: e.cursor, __REALTIME_TIMESTAMP: String(e.realtimeUs), _PID: String(e.pid), MESSAGE: e.message.includes('\u0001') ? [...Buffer.from(e.message)] : e.message }),
    );
    const base = Buffer.from(lines.join('\n') + '\n');
    expect(check((s) => createJsonParser(s), base, 50).entries).toHaveLength(40);
    for (let i = 0; i < 300; i++) check((s) => createJsonParser(s, { maxFieldBytes: 2048 }), mutate(base, rnd), 1 + Math.floor(rnd() * 300));
  });

  it('text: mutated streams never throw and every record is accounted for', () => {
    const rnd = prng(13);
    const base = Buffer.from(
      entries(40, rnd)
        .map((e, i) => (i % 3 === 0 ? `2026-11-28T10:00:${String(i % 60).padStart(2, '0')}.5+00:00 host ${e.identifier}[${e.pid}]: ${e.message.replace(/\n/g, ' ')}` : i % 3 === 1 ? `Nov 28 10:00:01 host conmon[5]: x ${i}` : `E1128 10:12:01.540522    2211 log.go:32] "x" err=<`))
        .join('\n') + '\n',
    );
    expect(check((s) => createTextParser(s, { clock: () => Date.UTC(2026, 10, 28, 12) }), base, 50).entries).toHaveLength(40);
    for (let i = 0; i < 300; i++) check((s) => createTextParser(s, { clock: () => Date.UTC(2026, 10, 28, 12), maxFieldBytes: 1024 }), mutate(base, rnd), 1 + Math.floor(rnd() * 300));
  });
});
