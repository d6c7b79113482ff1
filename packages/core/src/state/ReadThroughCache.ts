import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { compareVersions } from '../events/EventEnvelope.js';
import type { KvStore, KvWatch } from '../kv/KvStore.js';
import type { StateMetrics } from '../observability/coreMetrics.js';
import { backoffMs } from '../util/backoffMs.js';
import { sleep } from '../util/sleep.js';
import { decodeKvStateEntry } from './kvStateEntry.js';
import type { StateEntry } from './StateStore.js';
import type { StateRepository } from './StateRepository.js';
import type { VersionedValue } from './VersionedValue.js';
import { resolveEntry } from './largeValues.js';
import { writeStateToKv, type LargeValueParts } from './writeStateToKv.js';

/** A versioned value with where it was read from. */
export interface CachedValue extends VersionedValue {
  readonly source: StateEntry['source'];
}

/** Options of {@link ReadThroughCache}. */
export interface ReadThroughCacheOptions extends LargeValueParts {
  /** Values L1 holds (LRU); 0 turns L1 off. */
  readonly maxEntries: number;
  /** How long an L1 entry is served, ms (a positive integer). */
  readonly ttlMs: number;
  /** Watch KV to move cached entries forward (default true; off when the cache is off). */
  readonly watch: boolean;
  readonly logger: Logger;
  readonly metrics: StateMetrics;
  /** The KV write of a key this process still has in flight (read-your-writes without L1). */
  readonly pendingWrite: (kvKey: string) => Promise<void> | undefined;
  /** Backoff between attempts to restart a watch that ended, ms: first and ceiling (default 100 and 5000). */
  readonly watchRestartMs?: readonly [number, number];
}

/**
 * Reads L1 -> KV -> PostgreSQL, filling KV on the way (lazy hydration, `create`-only in spirit:
 * never over a newer value that raced in). L1 is an LRU with TTL kept current by a KV watch. L1
 * is used only while that watch runs: when it ends (error, server, or stopped), L1 is cleared and
 * bypassed (reads go to KV) until the watch is restarted, which is retried with backoff.
 */
export class ReadThroughCache {
  readonly #kv: KvStore;
  readonly #repository: StateRepository;
  readonly #opts: ReadThroughCacheOptions;
  /** Absent when `maxEntries` is 0. */
  readonly #l1: LRUCache<string, CachedValue> | undefined;
  #watch: KvWatch | undefined;
  #watchLoop: Promise<void> | undefined;
  #closed = false;
  /** Whether L1 may be read and filled: no watch was asked for, or the watch runs. */
  #caching = true;
  /** Incremented on each watch (re)start: a read that began before it must not fill L1. */
  #generation = 0;
  readonly #abort = new AbortController();
  #restarts = 0;
  /** This process's own KV writes (their bytes) whose watch events have not come back yet. */
  readonly #ownWrites = new Map<string, Uint8Array>();
  /** The read counter's children, bound once (a labelled `inc` hashes its labels on every call). */
  readonly #readsFrom: Record<CachedValue['source'], { inc(): void }>;

  private constructor(kv: KvStore, repository: StateRepository, options: ReadThroughCacheOptions) {
    this.#kv = kv;
    this.#repository = repository;
    this.#opts = options;
    this.#l1 = options.maxEntries > 0 ? new LRUCache<string, CachedValue>({ max: options.maxEntries, ttl: options.ttlMs }) : undefined;
    this.#readsFrom = { memory: options.metrics.reads.labels('memory'), kv: options.metrics.reads.labels('kv'), postgres: options.metrics.reads.labels('postgres') };
  }

  /** Opens the cache (and its KV watch). */
  static async open(kv: KvStore, repository: StateRepository, options: ReadThroughCacheOptions): Promise<ReadThroughCache> {
    const cache = new ReadThroughCache(kv, repository, options);
    if (options.watch && cache.#l1) await cache.#startWatch();
    return cache;
  }

  /** Whether L1 is in use (false while a watch that ended is being restarted). */
  get caching(): boolean {
    return this.#caching;
  }

  /** How many times the KV watch was restarted after it ended. */
  get watchRestarts(): number {
    return this.#restarts;
  }

  async #startWatch(): Promise<void> {
    const watch = await this.#kv.watch({ updatesOnly: true });
    this.#watch = watch;
    this.#generation++;
    this.#caching = true;
    const l1 = this.#l1!;
    const loop = (async () => {
      // L1 invalidation: every KV change moves the cached entry forward (or drops it).
      for await (const e of watch) {
        // The bytes of this process's own KV write: L1 has that entry already, no need to decode it.
        const own = this.#ownWrites.get(e.key);
        if (own !== undefined) {
          this.#ownWrites.delete(e.key);
          if (sameBytes(own, e.value)) continue;
        }
        const cached = l1.peek(e.key, { allowStale: true });
        if (!cached) continue;
        if (e.operation !== 'PUT') { l1.delete(e.key); continue; }
        try {
          const entry = decodeKvStateEntry(e.key, e.value);
          if (compareVersions(entry, cached) <= 0) continue;
          // A value by reference is fetched by the next read, not by the watch.
          if (entry.ref) l1.delete(e.key); else l1.set(e.key, { ...entry, source: 'kv' });
        } catch {
          l1.delete(e.key);
        }
      }
    })().then(() => undefined, (e: unknown) => e);
    this.#watchLoop = loop.then((e) => this.#watchEnded(e));
  }

  /**
   * The watch ended (with an error, or its iterator just finished): without it L1 would serve
   * stale values for up to its TTL, so L1 is cleared and bypassed until a new watch runs.
   */
  async #watchEnded(error: unknown): Promise<void> {
    this.#caching = false;
    this.#l1?.clear();
    if (this.#closed) return;
    this.#opts.logger.warn({ err: error }, 'KV watch ended; L1 cache bypassed until the watch is restarted');
    const [first, ceiling] = this.#opts.watchRestartMs ?? [100, 5000];
    for (let attempt = 1; !this.#closed; attempt++) {
      await sleep(backoffMs(attempt, { baseMs: first, maxMs: ceiling, jitter: 'equal' }), this.#abort.signal);
      if (this.#closed) return;
      try {
        await this.#startWatch();
        this.#restarts++;
        this.#opts.logger.info({ attempts: attempt }, 'KV watch restarted; L1 cache in use again');
        return;
      } catch (e) {
        this.#opts.logger.warn({ err: e, attempt }, 'could not restart the KV watch; L1 stays bypassed');
      }
    }
  }

  /**
   * L1 -> KV -> PostgreSQL (hydrating KV on the way). Tombstones come back as entries. The caller
   * has validated `agentId` and `key`; the returned value is shared with L1: do not mutate it.
   */
  async get(agentId: string, key: string): Promise<CachedValue | undefined> {
    // The hot path of every read: no second validation, no await without a pending write, one object per read.
    const kvKey = `${agentId}.${key}`;
    const l1 = this.#caching ? this.#l1 : undefined;
    const cached = l1?.get(kvKey);
    if (cached) { this.#readsFrom.memory.inc(); return { ...cached, source: 'memory' }; }
    const generation = this.#generation;
    const fill = (value: CachedValue) => { if (l1 && this.#caching && generation === this.#generation) l1.set(kvKey, value); };
    const pending = this.#opts.pendingWrite(kvKey);
    if (pending) await pending;
    const item = await this.#kv.get(kvKey);
    if (item) {
      const decoded = decodeKvStateEntry(kvKey, item.value);
      // A large value by reference is fetched from the Object Store (a new object); any other entry is the parsed object itself.
      const entry = (decoded.ref ? { ...await resolveEntry(this.#opts.values, decoded, `KV entry ${kvKey}`) } : decoded) as VersionedValue & { source: CachedValue['source'] };
      entry.source = 'kv';
      fill(entry);
      this.#readsFrom.kv.inc();
      return entry;
    }
    const row = await this.#repository.get(agentId, key);
    this.#readsFrom.postgres.inc();
    if (!row) return undefined;
    // Lazy hydration: never overwrite a newer value that raced into KV meanwhile.
    if (!row.tombstone) await writeStateToKv(this.#kv, this.#opts, agentId, key, kvKey, row);
    fill({ ...row, source: 'postgres' });
    return { ...row, source: 'postgres' };
  }

  /** Notes the bytes of a KV write this process is making: its watch event is then skipped, not decoded. */
  ownWrite(kvKey: string, bytes: Uint8Array): void {
    if (!this.#watch) return;
    if (this.#ownWrites.size >= Math.max(1024, this.#opts.maxEntries)) this.#ownWrites.clear();
    this.#ownWrites.set(kvKey, bytes);
  }

  /** Caches a value this process just wrote. */
  remember(kvKey: string, value: VersionedValue): void {
    if (this.#caching) this.#l1?.set(kvKey, { ...value, source: 'memory' });
  }

  /** Drops a cached value (it changed elsewhere). */
  forget(kvKey: string): void {
    this.#l1?.delete(kvKey);
  }

  /** Stops the watch. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    await this.#watch?.stop();
    await this.#watchLoop;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
