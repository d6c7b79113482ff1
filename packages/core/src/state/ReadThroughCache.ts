import type { Logger } from 'pino';
import { agentKvKey } from '../config/identifiers.js';
import { compareVersions } from '../events/EventEnvelope.js';
import type { KvStore, KvWatch } from '../kv/KvStore.js';
import type { StateMetrics } from '../observability/coreMetrics.js';
import { decodeKvStateEntry } from './kvStateEntry.js';
import { LruCache } from './LruCache.js';
import type { StateEntry } from './StateStore.js';
import type { StateRepository } from './StateRepository.js';
import type { VersionedValue } from './VersionedValue.js';
import { writeKvForward } from './writeKvForward.js';

/** A versioned value with where it was read from. */
export interface CachedValue extends VersionedValue {
  readonly source: StateEntry['source'];
}

/** Options of {@link ReadThroughCache}. */
export interface ReadThroughCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
  /** Watch KV to move cached entries forward (default true; off when the cache is off). */
  readonly watch: boolean;
  readonly logger: Logger;
  readonly metrics: StateMetrics;
  /** The KV write of a key this process still has in flight (read-your-writes without L1). */
  readonly pendingWrite: (kvKey: string) => Promise<void> | undefined;
}

/**
 * Reads L1 -> KV -> PostgreSQL, filling KV on the way (lazy hydration, `create`-only in spirit:
 * never over a newer value that raced in). L1 is an LRU with TTL kept current by a KV watch; when
 * the watch ends, L1 is cleared.
 */
export class ReadThroughCache {
  readonly #kv: KvStore;
  readonly #repository: StateRepository;
  readonly #opts: ReadThroughCacheOptions;
  readonly #l1: LruCache<CachedValue>;
  #watch: KvWatch | undefined;
  #watchLoop: Promise<void> | undefined;
  #closed = false;

  private constructor(kv: KvStore, repository: StateRepository, options: ReadThroughCacheOptions) {
    this.#kv = kv;
    this.#repository = repository;
    this.#opts = options;
    this.#l1 = new LruCache<CachedValue>(options.maxEntries, options.ttlMs);
  }

  /** Opens the cache (and its KV watch). */
  static async open(kv: KvStore, repository: StateRepository, options: ReadThroughCacheOptions): Promise<ReadThroughCache> {
    const cache = new ReadThroughCache(kv, repository, options);
    if (options.watch && options.maxEntries > 0) await cache.#startWatch();
    return cache;
  }

  async #startWatch(): Promise<void> {
    const watch = await this.#kv.watch({ updatesOnly: true });
    this.#watch = watch;
    const l1 = this.#l1;
    this.#watchLoop = (async () => {
      // L1 invalidation: every KV change moves the cached entry forward (or drops it).
      for await (const e of watch) {
        const cached = l1.peek(e.key);
        if (!cached) continue;
        if (e.operation !== 'PUT') { l1.delete(e.key); continue; }
        try {
          const entry = decodeKvStateEntry(e.key, e.value);
          if (compareVersions(entry, cached) > 0) l1.set(e.key, { ...entry, source: 'kv' });
        } catch {
          l1.delete(e.key);
        }
      }
    })().catch((e: unknown) => {
      if (!this.#closed) this.#opts.logger.warn({ err: e }, 'KV watch ended; L1 cache disabled until restart');
      l1.clear();
    });
  }

  /** L1 -> KV -> PostgreSQL (hydrating KV on the way). Tombstones come back as entries. */
  async get(agentId: string, key: string): Promise<CachedValue | undefined> {
    const kvKey = agentKvKey(agentId, key);
    const cached = this.#l1.get(kvKey);
    const { metrics } = this.#opts;
    if (cached) { metrics.reads.inc({ source: 'memory' }); return { ...cached, source: 'memory' }; }
    await this.#opts.pendingWrite(kvKey);
    const item = await this.#kv.get(kvKey);
    if (item) {
      const entry = decodeKvStateEntry(kvKey, item.value);
      this.#l1.set(kvKey, { ...entry, source: 'kv' });
      metrics.reads.inc({ source: 'kv' });
      return { ...entry, source: 'kv' };
    }
    const row = await this.#repository.get(agentId, key);
    metrics.reads.inc({ source: 'postgres' });
    if (!row) return undefined;
    // Lazy hydration: never overwrite a newer value that raced into KV meanwhile.
    if (!row.tombstone) await writeKvForward(this.#kv, kvKey, row);
    this.#l1.set(kvKey, { ...row, source: 'postgres' });
    return { ...row, source: 'postgres' };
  }

  /** Caches a value this process just wrote. */
  remember(kvKey: string, value: VersionedValue): void {
    this.#l1.set(kvKey, { ...value, source: 'memory' });
  }

  /** Drops a cached value (it changed elsewhere). */
  forget(kvKey: string): void {
    this.#l1.delete(kvKey);
  }

  /** Stops the watch. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#watch?.stop();
    await this.#watchLoop;
  }
}
