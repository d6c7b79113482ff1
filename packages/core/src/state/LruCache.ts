/**
 * A size-bounded LRU map whose entries expire after `ttlMs` (Map insertion order is the recency
 * order). `now` is injectable for tests.
 */
export class LruCache<V> {
  readonly #map = new Map<string, { value: V; expiresAt: number }>();
  readonly #max: number;
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(maxEntries: number, ttlMs: number, now: () => number = Date.now) {
    this.#max = maxEntries;
    this.#ttl = ttlMs;
    this.#now = now;
  }

  get(key: string): V | undefined {
    const e = this.#map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.#now()) { this.#map.delete(key); return undefined; }
    this.#map.delete(key);
    this.#map.set(key, e);
    return e.value;
  }

  set(key: string, value: V): void {
    if (this.#max <= 0) return;
    this.#map.delete(key);
    this.#map.set(key, { value, expiresAt: this.#now() + this.#ttl });
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next().value as string;
      this.#map.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  /** The cached value even if expired (for version comparisons), without touching recency. */
  peek(key: string): V | undefined {
    return this.#map.get(key)?.value;
  }

  get size(): number {
    return this.#map.size;
  }

  clear(): void {
    this.#map.clear();
  }
}
