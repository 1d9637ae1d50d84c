/**
 * A bounded map with least-recently-used eviction (Map insertion order; `touch` on get/set).
 * All correlator and classifier state lives in these, so memory stays flat under churn.
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
        const oldest = map.keys().next();
        if (!oldest.done) {
          const ov = map.get(oldest.value) as V;
          map.delete(oldest.value);
          evictions++;
          onEvict?.(oldest.value, ov);
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
