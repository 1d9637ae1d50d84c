import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createInterner, createLru, detach } from '../../src/events/lru.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** heap bytes still in use after keeping f(message) of 200 distinct 64 KiB messages */
function retainedBytes(f: (id: string) => string): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: string[] = [];
  for (let i = 0; i < 200; i++) {
    const message = `Killing container ${i.toString(16).padStart(64, '0')} failed: ` + String(i).repeat(65_536 / String(i).length);
    kept.push(f(/container ([0-9a-f]{64})/.exec(message)![1]!));
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  expect(kept).toHaveLength(200);
  return after - before;
}

describe('bounded LRU', () => {
  it('never exceeds its cap and counts evictions', () => {
    const l = createLru<number, number>(100);
    for (let i = 0; i < 10_000; i++) l.set(i, i);
    expect(l.size).toBeLessThanOrEqual(100);
    expect(l.evictions).toBe(10_000 - l.size);
    expect(l.get(9_999)).toBe(9_999);
    expect(l.get(0)).toBeUndefined();
  });

  it('keeps recently used entries over unused older ones (second chance)', () => {
    const evicted: number[] = [];
    const l = createLru<number, string>(64, (k) => void evicted.push(k));
    for (let i = 0; i < 64; i++) l.set(i, `v${i}`);
    l.get(0); // used: survives the next eviction pass
    l.set(64, 'v64');
    expect(l.has(0)).toBe(true);
    expect(evicted).toEqual([1]);
    expect(l.peek(0)).toBe('v0');
  });

  it('evicts even when every entry was used', () => {
    const l = createLru<number, number>(4);
    for (let i = 0; i < 4; i++) l.set(i, i);
    for (let i = 0; i < 4; i++) l.get(i);
    l.set(4, 4);
    expect(l.size).toBe(4);
    expect(l.has(4)).toBe(true);
  });

  it('detach copies long strings and keeps equality', () => {
    const line = 'x'.repeat(1000) + 'a'.repeat(64);
    const id = line.slice(1000);
    expect(detach(id)).toBe(id);
    expect(detach('short')).toBe('short');
    expect(detach(undefined)).toBeUndefined();
  });

  it('detach keeps only the ID alive, not the journal message it was matched in', () => {
    // control: a regex group pins its whole 64 KiB message (200 of them: ~13 MB)
    expect(retainedBytes((id) => id)).toBeGreaterThan(8_000_000);
    // detached: 200 IDs of 64 bytes
    expect(retainedBytes(detach)).toBeLessThan(1_000_000);
  });

  it('an interner hands out one shared copy per value and stays bounded', () => {
    const intern = createInterner(2);
    const a = intern(['exit', 'status', '1'].join(' '));
    expect(intern(`exit status ${1}`)).toBe(a);
    expect(intern('b')).toBe('b');
    expect(intern('c-not-kept-in-the-table')).toBe('c-not-kept-in-the-table');
  });
});
