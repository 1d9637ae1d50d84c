/**
 * Hostile JSON lines (issue #11 items 10 and 13): nesting that once overflowed the stack, and
 * the per-line cursor search that once scanned the rest of the chunk for every line.
 */
import { describe, expect, it } from 'vitest';
import { createJsonParser, rawCursor } from '../../src/journal/json-parser.js';
import { collector } from './collect.js';

function nested(depth: number, inner: string): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth);
}

function parseAll(text: string) {
  const c = collector();
  const p = createJsonParser(c);
  p.push(Buffer.from(text));
  p.end();
  return { ...c, stats: p.stats() };
}

/**
 * Wrap a chunk so that every indexOf called on it adds the bytes that call examined: up to and
 * including the match, or to the end of the chunk when there is none.
 */
function countingChunk(buf: Buffer): { chunk: Buffer; searched: () => number } {
  let searched = 0;
  const proto = Object.create(Buffer.prototype) as Buffer;
  const indexOf = Buffer.prototype.indexOf;
  proto.indexOf = function (this: Buffer, needle: string | number | Uint8Array, byteOffset?: number | BufferEncoding): number {
    const from = typeof byteOffset === 'number' ? byteOffset : 0;
    const r = indexOf.call(this, needle, from);
    const len = typeof needle === 'number' ? 1 : Buffer.byteLength(needle as string);
    searched += (r < 0 ? this.length : r + len) - from;
    return r;
  } as Buffer['indexOf'];
  Object.setPrototypeOf(buf, proto);
  return { chunk: buf, searched: () => searched };
}

describe('JSON lines parser on hostile input', () => {
  it('counts a MESSAGE nested 10 000 (and 1 000 000) deep as malformed instead of overflowing the stack', () => {
    const lines = [
      `{"__CURSOR":"c1","__REALTIME_TIMESTAMP":"10","MESSAGE":${nested(10_000, '1')}}`,
      `{"__CURSOR":"c2","__REALTIME_TIMESTAMP":"11","MESSAGE":${nested(1_000_000, '')}}`,
      `{"__CURSOR":"c3","__REALTIME_TIMESTAMP":"12","MESSAGE":[[104,105],${nested(3, '"x"')}]}`,
      `{"__CURSOR":"c4","__REALTIME_TIMESTAMP":"13","MESSAGE":{"a":1}}`,
      `{"__CURSOR":"c5","__REALTIME_TIMESTAMP":"14","MESSAGE":"ok","_SYSTEMD_UNIT":${nested(10_000, '"crio.service"')}}`,
      `{"__CURSOR":"c6","__REALTIME_TIMESTAMP":"15","MESSAGE":[[104,105],"there",null]}`,
    ];
    const r = parseAll(lines.join('\n') + '\n');
    expect(r.skips.map((s) => s.reason)).toEqual(['malformed', 'malformed', 'malformed', 'malformed']);
    expect(r.skips[0]?.detail).toMatch(/^line 1: MESSAGE is not a string/);
    // a nested metadata field is unusable, not fatal: the entry is kept without it
    expect(r.entries.map((e) => [e.cursor, e.message, e.unit])).toEqual([
      ['c5', 'ok', null],
      ['c6', 'hi\nthere', null],
    ]);
    expect(r.stats.records).toBe(6);
  });

  it('bounds the cursor search to the line, so a chunk of cursor-less lines is read in linear time', () => {
    const line = JSON.stringify({ __REALTIME_TIMESTAMP: '1700000000000000', _SYSTEMD_UNIT: 'crio.service', MESSAGE: 'level=info msg="hello"' });
    const n = 5000;
    const { chunk, searched } = countingChunk(Buffer.from((line + '\n').repeat(n)));
    const c = collector();
    const p = createJsonParser(c);
    p.push(chunk);
    p.end();
    expect(c.entries).toHaveLength(n);
    // linear: each byte is looked at a few times at most (it was about n/2 times the chunk before)
    expect(searched()).toBeLessThanOrEqual(4 * chunk.length);
  });

  it('finds the cursor only inside its own line', () => {
    const a = Buffer.from('{"MESSAGE":"x","__REALTIME_TIMESTAMP":"1"}\n{"__CURSOR":"s=1;i=2","MESSAGE":"y"}\n');
    const nl = a.indexOf(0x0a);
    expect(rawCursor(a.subarray(0, nl))).toBeNull();
    expect(rawCursor(a.subarray(nl + 1, a.length - 1))).toBe('s=1;i=2');
    // a key whose value is cut off at the end of the line
    expect(rawCursor(Buffer.from('{"__CURSOR":"s=1'))).toBeNull();
  });
});
