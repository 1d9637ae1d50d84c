import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createJsonParser } from '../../src/journal/json-parser.js';
import { createTextParser, isoToUs } from '../../src/journal/text-parser.js';
import { chunks, collector } from './collect.js';

import { REFERENCE as REF } from '../helpers/reference.js';
const INCIDENT = `${REF}/captures/real-incident/crio-1.31.0-restart.jsonl`;

function runJson(data: Buffer, size: number, opts = {}) {
  const c = collector();
  const p = createJsonParser(c, opts);
  for (const ch of chunks(data, size)) p.push(ch);
  p.end();
  return { ...c, stats: p.stats(), parser: p };
}

// 2026-11-28T12:00:00Z
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

function runText(text: string | Buffer, size = 7, now = NOW) {
  const c = collector();
  const p = createTextParser(c, { clock: () => now });
  const data = typeof text === 'string' ? Buffer.from(text) : text;
  for (const ch of chunks(data, size)) p.push(ch);
  p.end();
  return { ...c, stats: p.stats() };
}

describe('JSON lines parser', () => {
  it('reads the real CRI-O 1.31.0 incident capture', () => {
    const data = readFileSync(INCIDENT);
    const r = runJson(data, 4096);
    expect(r.skips).toEqual([]);
    expect(r.entries).toHaveLength(122);
    const crio = r.entries.filter((e) => e.unit === 'crio.service' && e.identifier === 'crio');
    expect(crio.every((e) => e.transport === 'stdout' && typeof e.pid === 'number')).toBe(true);
    expect(r.entries.filter((e) => e.message.includes('Killing container') && e.message.includes('failed'))).toHaveLength(14);
    const dumps = r.entries.filter((e) => e.message.startsWith('time=') && e.message.includes('Current CRI-O configuration'));
    expect(dumps).toHaveLength(2);
    expect(dumps[1]?.message).toContain('default_runtime = \\"nvidia\\"');
    const conmon = r.entries.find((e) => e.identifier === 'conmon');
    expect(conmon).toMatchObject({ transport: 'syslog' });
    expect(conmon?.message).toMatch(/exited with status 137/);
    expect(r.entries[0]?.cursor).toMatch(/^s=26b6deadd3d5421b98e5ed2308104a2b;i=1;/);
    expect(r.entries[0]?.realtimeUs).toBe(1795902732114170);
    expect(r.parser.lastCursor()).toBe(r.entries[121]?.cursor);
    // same result at a tiny chunk size
    expect(runJson(data, 13).entries).toEqual(r.entries);
  });

  it('decodes byte-array MESSAGE, skips null MESSAGE with a --all hint, joins repeated fields', () => {
    const lines = [
      JSON.stringify({ __CURSOR: 'c1', __REALTIME_TIMESTAMP: '10', MESSAGE: [104, 105, 13, 10, 0xff], _PID: '7' }),
      JSON.stringify({ __CURSOR: 'c2', __REALTIME_TIMESTAMP: '11', MESSAGE: null }),
      JSON.stringify({ __CURSOR: 'c3', __REALTIME_TIMESTAMP: '12', MESSAGE: ['a', 'b'], _SYSTEMD_UNIT: ['x.service', 'x.service'] }),
      JSON.stringify({ __CURSOR: 'c4', __REALTIME_TIMESTAMP: '13' }),
      '{"__CURSOR" : "c5", "__REALTIME_TIMESTAMP" : "14", "MESSAGE" : "spaces around colons"}',
      '',
      'not json at all',
      '[1,2]',
      JSON.stringify({ __CURSOR: 'c6', MESSAGE: 'no time' }),
      JSON.stringify({ __CURSOR: 'c7', __REALTIME_TIMESTAMP: 15, _PID: 9, MESSAGE: 'numbers instead of strings' }),
    ].join('\n');
    const r = runJson(Buffer.from(lines + '\n'), 5);
    expect(r.entries.map((e) => e.message)).toEqual(['hi\r\n\uFFFD', 'a\nb', 'spaces around colons', 'numbers instead of strings']);
    expect(r.entries[3]).toMatchObject({ realtimeUs: 15, pid: 9 });
    expect(r.entries[0]?.pid).toBe(7);
    expect(r.entries[1]?.unit).toBe('x.service');
    expect(r.stats.invalidUtf8).toBe(1);
    expect(r.skips.map((s) => s.reason)).toEqual(['no_message', 'no_message', 'malformed', 'malformed', 'no_timestamp']);
    expect(r.skips[0]?.detail).toMatch(/--all/);
    expect(r.skips[0]?.detail).toMatch(/^line 2:/);
    expect(r.parser.lastCursor()).toBe('c7');
  });

  it('counts a final line cut off as truncated and prefilters raw lines', () => {
    const full = JSON.stringify({ __CURSOR: 'c1', __REALTIME_TIMESTAMP: '10', MESSAGE: 'Killing container x failed' }) + '\n';
    const second = JSON.stringify({ __CURSOR: 'c2', __REALTIME_TIMESTAMP: '11', MESSAGE: 'noise' });
    const r = runJson(Buffer.from(full + second.slice(0, 30)), 8);
    expect(r.entries).toHaveLength(1);
    expect(r.skips.map((s) => s.reason)).toEqual(['truncated']);
    const f = runJson(Buffer.from(full + second + '\n'), 8, { wantMessage: (b: Buffer) => b.includes('Killing') });
    expect(f.entries.map((e) => e.cursor)).toEqual(['c1']);
    expect(f.stats.filtered).toBe(1);
    expect(f.parser.lastCursor()).toBe('c2');
  });
});

describe('text parser', () => {
  it('parses sample-journal.txt: envelopes, units, continuation entries', () => {
    const data = readFileSync(`${REF}/sample-journal.txt`);
    const r = runText(data, 1000);
    expect(r.skips).toEqual([]);
    const n = data.toString().split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    expect(r.entries).toHaveLength(n);
    const e = (i: number) => r.entries[i - 1]!;
    expect(e(1)).toMatchObject({ unit: 'crio.service', identifier: 'crio', pid: 1873, transport: 'stdout', cursor: null });
    expect(e(1).realtimeUs).toBe(Date.UTC(2025, 10, 28, 9, 58, 2) * 1000 + 101998);
    expect(e(1).message.startsWith('time="2025-11-28T09:58:02.101934518Z" level=info')).toBe(true);
    expect(e(19)).toMatchObject({ unit: 'kubelet.service', identifier: 'kubelet', pid: 2211 });
    expect(e(20).message.startsWith('\trpc error')).toBe(true);
    expect(e(22).message.startsWith(' > containerID=')).toBe(true);
    expect(e(41)).toMatchObject({ identifier: 'conmon', transport: 'syslog', unit: null });
    expect(e(78)).toMatchObject({ identifier: 'systemd', pid: 1, unit: 'crio.service', transport: 'journal' });
    expect(e(93)).toMatchObject({ identifier: 'systemd', pid: 1, unit: 'crio.service' });
  });

  it('parses syslog lines with the year from the clock, bare logfmt and klog lines', () => {
    const text = [
      'Nov 28 10:14:31 gpu-node-07 conmon[48290]: conmon 177a7ea3611fe6b13855 <ninfo>: container 48302 exited with status 143',
      'Dec 31 23:59:59 node kernel: audit: type=1400 apparmor="DENIED" operation="signal"',
      'Nov  2 01:02:03.5 node hyperkube[9]: I1102 01:02:03.500000       9 x.go:1] "hello"',
      'time="2026-11-28 21:52:39.375275909Z" level=error msg="Killing container abc failed"',
      'E1128 10:12:01.540522    2211 log.go:32] "ExecSync cmd from runtime service failed" err=<',
      '\trpc error: code = Unknown',
      ' > containerID="06ea"',
      'just some words',
      '\tcontinuation after an envelope line is not bare',
    ].join('\n');
    const r = runText(text);
    expect(r.entries).toHaveLength(7);
    expect(r.entries[0]).toMatchObject({ identifier: 'conmon', transport: 'syslog', pid: 48290, realtimeUs: Date.UTC(2026, 10, 28, 10, 14, 31) * 1000 });
    // Dec 31 would be in the future on Nov 28 2026: previous year
    expect(r.entries[1]).toMatchObject({ identifier: 'kernel', transport: 'kernel', pid: null, realtimeUs: Date.UTC(2025, 11, 31, 23, 59, 59) * 1000 });
    expect(r.entries[1]?.message).toMatch(/^audit:/);
    expect(r.entries[2]).toMatchObject({ unit: 'kubelet.service', realtimeUs: Date.UTC(2026, 10, 2, 1, 2, 3) * 1000 + 500000 });
    expect(r.entries[3]).toMatchObject({ unit: 'crio.service', identifier: 'crio', realtimeUs: Date.UTC(2026, 10, 28, 21, 52, 39) * 1000 + 375275 });
    expect(r.entries[4]).toMatchObject({ unit: 'kubelet.service', identifier: 'kubelet', pid: 2211 });
    expect(r.entries[5]).toMatchObject({ unit: 'kubelet.service', pid: 2211, realtimeUs: r.entries[4]?.realtimeUs, message: '\trpc error: code = Unknown' });
    expect(r.entries[6]?.message).toBe(' > containerID="06ea"');
    // a TAB line continues a bare entry only right after it: not after an unrecognised line
    expect(r.skips.map((s) => s.reason)).toEqual(['no_timestamp', 'no_timestamp']);
    expect(r.skips[0]?.detail).toMatch(/^line 8:/);
    expect(r.stats.records).toBe(9);
  });

  it('handles invalid UTF-8, CRLF and an endless line without stopping', () => {
    const bad = Buffer.concat([
      Buffer.from('2026-11-28T10:00:00Z host crio[1]: caf'),
      Buffer.from([0xe9, 0xff]),
      Buffer.from('\r\n'),
      Buffer.from('2026-11-28T10:00:01+01:00 host crio[1]: ok\n'),
      Buffer.from('x'.repeat(2 * 1024 * 1024)),
      Buffer.from('\n2026-11-28T10:00:02.123456789Z host crio[1]: after\n'),
    ]);
    const r = runText(bad, 65536);
    expect(r.entries.map((e) => e.message)).toEqual(['caf\uFFFD\uFFFD', 'ok', 'after']);
    expect(r.entries[1]?.realtimeUs).toBe(Date.UTC(2026, 10, 28, 9, 0, 1) * 1000);
    expect(r.entries[2]?.realtimeUs).toBe(Date.UTC(2026, 10, 28, 10, 0, 2) * 1000 + 123456);
    expect(r.stats.invalidUtf8).toBe(1);
    expect(r.skips.map((s) => s.reason)).toEqual(['oversize']);
  });

  it('isoToUs handles zones and precision', () => {
    expect(isoToUs('2025-11-28T09:58:02.101998+00:00')).toBe(Date.UTC(2025, 10, 28, 9, 58, 2) * 1000 + 101998);
    expect(isoToUs('2025-11-28T09:58:02-0130')).toBe(Date.UTC(2025, 10, 28, 11, 28, 2) * 1000);
    expect(isoToUs('2025-11-28 09:58:02')).toBe(Date.UTC(2025, 10, 28, 9, 58, 2) * 1000);
    expect(isoToUs('yesterday')).toBeNull();
  });
});
