/**
 * A bounded map with least-recently-used eviction (Map insertion order; `touch` on get/set).
 * All correlator and classifier state lives in these, so memory stays flat under churn.
 * When full, the oldest max/64 entries are evicted at once (amortised O(1) per insert).
 */
export interface Lru<K, V> {
  get(key: K): V | undefined;
  /** get without refreshing recency */
  peek(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): boolean;
  has(key: K): boolean;
  readonly size: number;
  values(): IterableIterator<V>;
  entries(): IterableIterator<[K, V]>;
  /** how many entries were evicted because the cap was reached */
  readonly evictions: number;
  readonly max: number;
}

export function createLru<K, V>(max: number, onEvict?: (key: K, value: V) => void): Lru<K, V> {
  if (!(max >= 1)) throw new Error(`LRU cap must be >= 1, got ${max}`);
  const map = new Map<K, V>();
  const batch = Math.max(1, Math.floor(max / 64));
  let evictions = 0;
  return {
    get(key) {
      const v = map.get(key);
      if (v !== undefined) {
        map.delete(key);
        map.set(key, v);
      }
      return v;
    },
    peek: (key) => map.get(key),
    set(key, value) {
      if (map.has(key)) map.delete(key);
      else if (map.size >= max) {
        // Evict a batch of the oldest entries with ONE iterator: a Map keeps deleted slots at its
        // front until it rehashes, so fetching "the first key" once per insert would rescan them
        // every time (quadratic under churn).
        let n = batch;
        for (const [k, v] of map) {
          map.delete(k);
          evictions++;
          onEvict?.(k, v);
          if (--n === 0) break;
        }
      }
      map.set(key, value);
    },
    delete: (key) => map.delete(key),
    has: (key) => map.has(key),
    get size() {
      return map.size;
    },
    values: () => map.values(),
    entries: () => map.entries(),
    get evictions() {
      return evictions;
    },
    max,
  };
}

/**
 * A copy of `s` that does not keep a larger string alive. Regex groups and slices of a journal
 * message are V8 "sliced strings" that pin the whole message; long-lived state (IDs, names, paths)
 * must hold its own copy or a 64-hex ID costs a whole log line.
 */
export function detach(s: string): string;
export function detach(s: string | undefined): string | undefined;
export function detach(s: string | undefined): string | undefined {
  return s === undefined || s.length < 13 ? s : (' ' + s).slice(1);
}
