import { describe, expect, it } from 'vitest';
import { createLru, detach } from '../../src/events/lru.js';

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
});
