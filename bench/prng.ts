/**
 * Deterministic pseudo-random numbers for the benchmark generator.
 * mulberry32 for the stream, a bijective 32-bit mixer (murmur3 fmix32) for identifiers,
 * so that identifier i is unique for every i < 2^32 and does not depend on the stream position.
 */

export interface Prng {
  /** uniform float in [0, 1) */
  next(): number;
  /** uniform integer in [0, n) */
  int(n: number): number;
  /** one element of a non-empty array */
  pick<T>(items: readonly T[]): T;
  /** true with probability p */
  chance(p: number): boolean;
}

export function createPrng(seed: number): Prng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p) => next() < p,
  };
}

/** murmur3 fmix32: a bijection on 32-bit integers. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex8(x: number): string {
  return (BYTE_HEX[x >>> 24] as string) + (BYTE_HEX[(x >>> 16) & 255] as string) + (BYTE_HEX[(x >>> 8) & 255] as string) + (BYTE_HEX[x & 255] as string);
}

/**
 * `words` 8-hex-digit words derived from (seed, kind, i). The first word is a bijection of i
 * (for a fixed seed and kind), so identifiers never collide and their 20-digit prefixes neither.
 */
export function idHex(seed: number, kind: number, i: number, words: number): string {
  const base = mix32(seed ^ Math.imul(kind + 1, 0x9e3779b1));
  let out = hex8(mix32((i ^ base) >>> 0));
  for (let k = 1; k < words; k++) out += hex8(mix32((mix32(i + k * 0x632be5ab) ^ base ^ k) >>> 0));
  return out;
}

/** A version-4-shaped UUID derived from (seed, kind, i). */
export function uuidFrom(seed: number, kind: number, i: number): string {
  const h = idHex(seed, kind, i, 4);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16] ?? '0', 16) & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
