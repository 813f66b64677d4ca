/**
 * A small LRU map on top of `Map`'s insertion order: a hit re-inserts the entry at the end,
 * and the first entry is the least recently used.
 *
 * @example
 * ```ts
 * import { LruCache } from "./lru.ts";
 * const cache = new LruCache<string, number>(2);
 * cache.set("a", 1); cache.set("b", 2); cache.get("a"); cache.set("c", 3);
 * cache.has("b"); // false: "b" was the least recently used
 * ```
 * @module
 */

/** Bounded least-recently-used cache. A capacity of 0 stores nothing. */
export class LruCache<K, V> {
  readonly #map = new Map<K, V>();

  constructor(readonly capacity: number) {}

  /** Number of entries. */
  get size(): number {
    return this.#map.size;
  }

  /** Whether `key` is cached (does not refresh it). */
  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** The cached value (refreshing its recency), or undefined. */
  get(key: K): V | undefined {
    const map = this.#map;
    const value = map.get(key);
    if (value === undefined) return undefined;
    // Every hit moves the entry to the end (delete + set); a lone entry has nowhere to move.
    if (map.size > 1) {
      map.delete(key);
      map.set(key, value);
    }
    return value;
  }

  /** Stores `value`, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    const map = this.#map;
    if (map.has(key)) map.delete(key);
    else if (map.size >= this.capacity) map.delete(map.keys().next().value as K);
    map.set(key, value);
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
  }
}
