/**
 * A bounded map with approximate least-recently-used eviction (the CLOCK / second-chance scheme
 * over a Map's insertion order). All correlator and classifier state lives in these, so memory
 * stays flat under churn.
 * - `get` only marks the entry as used (no re-insertion: reordering a Map on every hit was the
 *   most expensive part of the event path);
 * - when full, the oldest max/64 unused entries are evicted in one pass; used entries met on the
 *   way get a second chance (moved to the back, mark cleared). One iterator per batch, because a
 *   Map keeps deleted slots at its front until it rehashes and rescanning them per insert is
 *   quadratic under churn.
 */
export interface Lru<K, V> {
  get(key: K): V | undefined;
  /** get without marking the entry as used */
  peek(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): boolean;
  has(key: K): boolean;
  readonly size: number;
  values(): IterableIterator<V>;
  entries(): IterableIterator<[K, V]>;
  /**
   * The place of `key` in the map's order, when it holds exactly `value`: a number that grows with
   * every insertion and every move to the back (so sorting by it gives the order values() walks),
   * or -1 when the key is gone or holds another value.
   */
  orderOf(key: K, value: V): number;
  /** how many entries were evicted because the cap was reached */
  readonly evictions: number;
  readonly max: number;
}

interface Slot<V> {
  v: V;
  used: boolean;
  /** when the slot was put at the back of the map (see orderOf) */
  seq: number;
}

export function createLru<K, V>(max: number, onEvict?: (key: K, value: V) => void): Lru<K, V> {
  if (!(max >= 1)) throw new Error(`LRU cap must be >= 1, got ${max}`);
  const map = new Map<K, Slot<V>>();
  const batch = Math.max(1, Math.floor(max / 64));
  let evictions = 0;
  let seq = 0;

  function evictBatch(): void {
    let n = batch;
    let scanned = 0;
    const limit = map.size;
    for (const [k, s] of map) {
      if (scanned++ >= limit) break;
      if (s.used) {
        s.used = false;
        s.seq = ++seq;
        map.delete(k);
        map.set(k, s);
        continue;
      }
      map.delete(k);
      evictions++;
      onEvict?.(k, s.v);
      if (--n === 0) return;
    }
    if (n === batch) {
      // everything was recently used: evict the oldest anyway
      const first = map.entries().next();
      if (!first.done) {
        map.delete(first.value[0]);
        evictions++;
        onEvict?.(first.value[0], first.value[1].v);
      }
    }
  }

  return {
    get(key) {
      const s = map.get(key);
      if (s === undefined) return undefined;
      s.used = true;
      return s.v;
    },
    peek: (key) => map.get(key)?.v,
    set(key, value) {
      const s = map.get(key);
      if (s !== undefined) {
        s.v = value;
        s.used = true;
        return;
      }
      if (map.size >= max) evictBatch();
      map.set(key, { v: value, used: false, seq: ++seq });
    },
    delete: (key) => map.delete(key),
    has: (key) => map.has(key),
    get size() {
      return map.size;
    },
    *values() {
      for (const s of map.values()) yield s.v;
    },
    *entries() {
      for (const [k, s] of map) yield [k, s.v] as [K, V];
    },
    orderOf(key, value) {
      const s = map.get(key);
      return s !== undefined && s.v === value ? s.seq : -1;
    },
    get evictions() {
      return evictions;
    },
    max,
  };
}

/**
 * A flat copy of `s` that keeps nothing else alive. Regex groups and slices of a journal message
 * are V8 "sliced strings" that pin the whole message, and template strings are "cons" trees that
 * keep every piece; long-lived state (IDs, names, paths, evidence) must hold its own flat copy.
 * Slicing does not give one (a slice of 13 characters or more is itself a sliced string), a
 * round trip through bytes does: a 64-hex ID then costs one 80-byte string instead of a 65-byte
 * parent plus a 32-byte slice (bench memory-10m). About 0.2 µs, paid once per new ID, not per entry.
 * (A lone UTF-16 surrogate, possible only from escaped JSON input, becomes U+FFFD.)
 */
export function detach(s: string): string;
export function detach(s: string | undefined): string | undefined;
export function detach(s: string | undefined): string | undefined {
  return s === undefined || s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

/**
 * A bounded table of shared strings, for values that repeat across many states (how a container
 * exited, a runtime path): every state holds the one flat copy. Past `max` distinct values new
 * ones are detached copies, so the table itself stays bounded.
 */
export function createInterner(max = 512): (s: string) => string {
  const table = new Map<string, string>();
  return (s) => {
    const known = table.get(s);
    if (known !== undefined) return known;
    const own = detach(s);
    if (table.size < max) table.set(own, own);
    return own;
  };
}
