import { describe, expect, it } from 'vitest';
import { createExportParser } from '../../src/journal/export-parser.js';
import { toExport, type FixtureEntry } from '../helpers/journal-fixture.js';
import { chunks, collector } from './collect.js';

const T0 = 1_795_898_397_733_907;

function parseAll(data: Buffer, chunkSize = data.length || 1, opts = {}) {
  const c = collector();
  const p = createExportParser(c, opts);
  for (const ch of chunks(data, chunkSize)) p.push(Buffer.from(ch)); // fresh buffers, as streams deliver
  p.end();
  return { ...c, stats: p.stats(), parser: p };
}

const sample: FixtureEntry[] = [
  { cursor: 's=a;i=1', realtimeUs: T0, unit: 'crio.service', identifier: 'crio', transport: 'stdout', pid: 1873, streamId: 'abc', bootId: 'b00', message: 'time="x" level=info msg="one"', fields: { PRIORITY: '6', _COMM: 'crio' } },
  { cursor: 's=a;i=2', realtimeUs: T0 + 1, identifier: 'kubelet', unit: 'kubelet.service', message: 'E1128 line\n\twith tab and newline' },
  { cursor: 's=a;i=3', realtimeUs: T0 + 2, unit: 'init.scope', identifier: 'systemd', pid: 1, fields: { UNIT: 'crio.service' }, message: 'Reloading crio.service' },
  { cursor: 's=a;i=4', realtimeUs: T0 + 3, identifier: 'kernel', transport: 'kernel', fields: { COREDUMP: Buffer.from([0, 1, 2, 10, 10, 0, 255]) }, message: 'audit: apparmor="DENIED"' },
];

describe('export parser', () => {
  it('decodes text and binary fields into entries, at every chunk size', () => {
    const data = toExport(sample);
    const whole = parseAll(data);
    expect(whole.skips).toEqual([]);
    expect(whole.entries).toHaveLength(4);
    expect(whole.entries[0]).toEqual({
      cursor: 's=a;i=1', realtimeUs: T0, unit: 'crio.service', identifier: 'crio', transport: 'stdout', pid: 1873, streamId: 'abc', bootId: 'b00',
      message: 'time="x" level=info msg="one"',
    });
    expect(whole.entries[1]?.message).toBe('E1128 line\n\twith tab and newline');
    // PID 1 lines: UNIT wins over init.scope
    expect(whole.entries[2]?.unit).toBe('crio.service');
    expect(whole.entries[3]?.message).toBe('audit: apparmor="DENIED"');
    for (const size of [1, 2, 3, 7, 8, 9, 64, 333]) {
      const r = parseAll(data, size);
      expect(r.entries, `chunk size ${size}`).toEqual(whole.entries);
      expect(r.skips).toEqual([]);
    }
    expect(whole.parser.lastCursor()).toBe('s=a;i=4');
  });

  it('keeps a 1 MiB MESSAGE (binary and text form) and skips one over the cap as oversize', () => {
    const big = 'x'.repeat(1024 * 1024);
    const bigBin = 'y'.repeat(1024 * 1024 - 1) + '\n';
    const huge = 'z'.repeat(3 * 1024 * 1024);
    const data = toExport([
      { realtimeUs: T0, message: big },
      { realtimeUs: T0 + 1, message: bigBin },
      { realtimeUs: T0 + 2, message: huge },
      { realtimeUs: T0 + 3, message: Buffer.from('q'.repeat(2 * 1024 * 1024) + '\n') as unknown as string },
      { realtimeUs: T0 + 4, message: 'after' },
    ]);
    for (const size of [65536, data.length]) {
      const r = parseAll(data, size);
      expect(r.entries.map((e) => e.message.length)).toEqual([big.length, bigBin.length, 5]);
      expect(r.entries[0]?.message).toBe(big);
      expect(r.entries[1]?.message).toBe(bigBin);
      expect(r.skips.map((s) => s.reason)).toEqual(['oversize', 'oversize']);
      expect(r.stats.skipped).toEqual({ oversize: 2 });
    }
  });

  it('counts a missing MESSAGE and a missing timestamp, and goes on', () => {
    const data = Buffer.concat([
      Buffer.from('__CURSOR=c1\n__REALTIME_TIMESTAMP=5\n_PID=3\n\n'),
      Buffer.from('__CURSOR=c2\nMESSAGE=no time\n\n'),
      Buffer.from('__CURSOR=c3\n__REALTIME_TIMESTAMP=abc\nMESSAGE=bad time\n\n'),
      Buffer.from('__CURSOR=c4\n__REALTIME_TIMESTAMP=7\nMESSAGE=ok\n\n'),
    ]);
    const r = parseAll(data, 5);
    expect(r.entries.map((e) => e.message)).toEqual(['ok']);
    expect(r.skips.map((s) => s.reason)).toEqual(['no_message', 'no_timestamp', 'no_timestamp']);
    expect(r.stats.records).toBe(4);
    expect(r.parser.lastCursor()).toBe('c4');
  });

  it('decodes invalid UTF-8 with replacement and counts it', () => {
    const bad = Buffer.from([0x61, 0xff, 0xfe, 0x62]);
    const data = toExport([
      { realtimeUs: T0, message: bad as unknown as string },
      { realtimeUs: T0 + 1, message: 'real \uFFFD replacement char is valid' },
    ]);
    // the invalid value went out as a binary field; also try it as an (invalid) text field
    const asText = Buffer.concat([Buffer.from('__REALTIME_TIMESTAMP=9\nMESSAGE='), bad, Buffer.from('\n\n')]);
    const r = parseAll(Buffer.concat([data, asText]), 3);
    expect(r.entries.map((e) => e.message)).toEqual(['a\uFFFD\uFFFDb', 'real \uFFFD replacement char is valid', 'a\uFFFD\uFFFDb']);
    expect(r.stats.invalidUtf8).toBe(2);
    expect(r.skips).toEqual([]);
  });

  it('resynchronises after random bytes at the next blank line', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
    const garbage = Buffer.alloc(5000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = rnd() % 256;
    for (let i = 0; i < garbage.length - 1; i++) if (garbage[i] === 10 && garbage[i + 1] === 10) garbage[i + 1] = 11;
    const good = (n: number) => toExport([{ realtimeUs: T0 + n, message: `good ${n}` }]);
    const data = Buffer.concat([good(1), garbage, Buffer.from('\n\n'), good(2), Buffer.from('lower=case\n\n'), good(3), Buffer.from('NAME\n\xff\xff\xff\xff\xff\xff\xff\xff', 'latin1'), Buffer.from('\n\n'), good(4)]);
    for (const size of [1, 13, 4096, data.length]) {
      const r = parseAll(data, size);
      expect(r.entries.map((e) => e.message), `chunk size ${size}`).toEqual(['good 1', 'good 2', 'good 3', 'good 4']);
      expect(r.stats.skipped.malformed).toBe(3);
      expect(r.skips.every((s) => s.reason === 'malformed')).toBe(true);
    }
  });

  it('skips a record cut off mid-field as truncated, and accepts a final record without the blank line', () => {
    const full = toExport([{ realtimeUs: T0, message: 'first' }, { realtimeUs: T0 + 1, message: 'second is long enough' }]);
    const cut = full.subarray(0, full.length - 8);
    const r = parseAll(cut, 4);
    expect(r.entries.map((e) => e.message)).toEqual(['first']);
    expect(r.skips.map((s) => s.reason)).toEqual(['truncated']);

    const noBlank = full.subarray(0, full.length - 1);
    const r2 = parseAll(noBlank, 4);
    expect(r2.entries.map((e) => e.message)).toEqual(['first', 'second is long enough']);
    expect(r2.skips).toEqual([]);

    // binary payload cut short
    const bin = toExport([{ realtimeUs: T0, message: 'a\nb'.repeat(1000) }]);
    const r3 = parseAll(bin.subarray(0, bin.length - 100), 512);
    expect(r3.entries).toEqual([]);
    expect(r3.skips.map((s) => s.reason)).toEqual(['truncated']);
  });

  it('applies the MESSAGE prefilter on raw bytes before decoding, and still tracks the cursor', () => {
    const data = toExport([
      { cursor: 'c1', realtimeUs: T0, message: 'Killing container abc failed' },
      { cursor: 'c2', realtimeUs: T0 + 1, message: 'noise' },
      { cursor: 'c3', realtimeUs: T0 + 2, message: 'more noise' },
    ]);
    const seen: string[] = [];
    const r = parseAll(data, 10, {
      wantMessage: (b: Buffer) => {
        seen.push(b.toString());
        return b.includes('Killing');
      },
    });
    expect(seen).toEqual(['Killing container abc failed', 'noise', 'more noise']);
    expect(r.entries.map((e) => e.cursor)).toEqual(['c1']);
    expect(r.stats.filtered).toBe(2);
    expect(r.parser.lastCursor()).toBe('c3');
  });

  it('reports prefiltered entries to sink.filtered with their unit, identifier and time, undecoded', () => {
    const data = toExport([
      { cursor: 'c1', realtimeUs: T0, unit: 'kubelet.service', identifier: 'kubelet', message: 'noise' },
      { cursor: 'c2', realtimeUs: T0 + 5, unit: 'crio.service', identifier: 'crio', message: 'Killing container abc failed' },
    ]);
    const filtered: [string | null, string | null, number][] = [];
    const entries: string[] = [];
    const p = createExportParser(
      { entry: (e) => entries.push(e.message), skip: () => {}, filtered: (u, i, t) => filtered.push([u, i, t]) },
      { wantMessage: (b) => b.includes('Killing') },
    );
    p.push(data);
    p.end();
    expect(entries).toEqual(['Killing container abc failed']);
    expect(filtered).toEqual([['kubelet.service', 'kubelet', T0]]);
  });

  it('decodes repeating field values right while more distinct values than its cache holds alternate (same lengths, one byte apart)', () => {
    const ids = ['unit-a', 'unit-b', 'unit-c', 'unit-d', 'unit-e', 'unit-f', 'unit-\u00e9'];
    const entries: FixtureEntry[] = [];
    for (let i = 0; i < 60; i++) {
      const id = ids[(i * 5) % ids.length]!;
      entries.push({ realtimeUs: T0 + i, unit: `${id}.service`, identifier: id, transport: i % 3 ? 'stdout' : 'syslog', streamId: `s${i % 6}`, message: `m${i}` });
    }
    for (const size of [7, 4096]) {
      const r = parseAll(toExport(entries), size);
      expect(r.entries.map((e) => [e.unit, e.identifier, e.transport, e.streamId])).toEqual(entries.map((e) => [e.unit, e.identifier, e.transport, e.streamId]));
    }
  });

  it('ignores unknown and future __ fields and stray blank lines', () => {
    const data = Buffer.from('\n\n__SEQNUM=5\n__SEQNUM_ID=abc\n__REALTIME_TIMESTAMP=10\n__NEW_THING=1\nMESSAGE=m\n\n\n');
    const r = parseAll(data, 2);
    expect(r.entries).toHaveLength(1);
    expect(r.entries[0]).toMatchObject({ realtimeUs: 10, message: 'm', cursor: null, unit: null, pid: null });
    expect(r.stats.records).toBe(1);
  });
});
