import {
  BaseStore, InvalidNamespaceError, validateNamespace,
  type GetOperation, type Item, type ListNamespacesOperation, type Operation, type OperationResults, type PutOperation, type SearchItem, type SearchOperation,
} from '@langchain/langgraph-checkpoint';
import { JetStreamKvStore, type DatabaseHandle, type KvStore, type NatsHandle } from '@mister-smith/core';
import { LangGraphError } from '../errors/LangGraphError.js';
import { encodeToken } from '../ids/encodeToken.js';
import { langGraphTopology, type LangGraphTopology } from '../nats/langGraphTopology.js';
import { provisionLangGraph } from '../nats/provisionLangGraph.js';
import { assertSchemaName, migrateLangGraph } from '../pg/migrateLangGraph.js';
import { listMatchingNamespaces } from './matchNamespace.js';
import { joinNamespace, StoreRows, type StoredItem } from './storeRows.js';

/** Time-to-live settings of the store, as upstream's PostgresStore takes them (minutes). */
export interface StoreTtlConfig {
  /** TTL of items put without one; unset: items never expire. */
  readonly defaultTtl?: number;
  /**
   * Reads (get, search) move an item's expiry to now + TTL (default true). To keep hot reads on
   * KV, an item is refreshed once its remaining life is below half its TTL.
   */
  readonly refreshOnRead?: boolean;
  /** Deletes expired rows on this interval (default: only when `sweepExpired()` is called). */
  readonly sweepIntervalMinutes?: number;
}

/** Options of `MisterSmithStore`. */
export interface MisterSmithStoreOptions {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly namespace?: string | undefined;
  readonly schema?: string;
  readonly profile?: 'production' | 'test';
  readonly ttl?: StoreTtlConfig;
  /** Semantic search is not indexed by this store: passing an index config is refused with `VECTOR_SEARCH_UNSUPPORTED`. */
  readonly index?: unknown;
  /** The clock deciding expiry (tests inject one). */
  readonly now?: () => number;
}

interface CacheEntry extends Omit<StoredItem, 'namespace' | 'key'> { readonly ns: string[]; readonly key: string; readonly deleted?: true }

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * LangGraph's long-term memory store on Mister Smith: items live in PostgreSQL (searchable by
 * namespace prefix and JSON filter, listable by namespace), and reads are served hot from a
 * JetStream KV cache that only moves forward (every write and delete carries a version from one
 * sequence). Items have `createdAt` / `updatedAt` and an optional TTL, refreshed on read.
 *
 * @example
 * const store = await MisterSmithStore.open({ nats, pg });
 * await store.put(['users', 'u1', 'memories'], 'likes', { food: 'pizza' });
 * const hits = await store.search(['users', 'u1'], { filter: { food: 'pizza' } });
 */
export class MisterSmithStore extends BaseStore {
  readonly topology: LangGraphTopology;
  readonly schema: string;
  readonly #nats: NatsHandle;
  readonly #pg: DatabaseHandle;
  readonly #rows: StoreRows;
  readonly #ttl: StoreTtlConfig;
  readonly #now: () => number;
  #kv: KvStore | undefined;
  #setup: Promise<void> | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: MisterSmithStoreOptions) {
    super();
    if (options.index !== undefined) {
      throw new LangGraphError('VECTOR_SEARCH_UNSUPPORTED', 'MisterSmithStore does not index embeddings: semantic search is not supported (filter and namespace search are)');
    }
    this.#nats = options.nats;
    this.#pg = options.pg;
    this.schema = assertSchemaName(options.schema ?? 'langgraph');
    this.topology = langGraphTopology({ namespace: options.namespace, profile: options.profile ?? 'production', clusterSize: options.nats.clusterSize });
    this.#rows = new StoreRows(options.pg, this.schema);
    this.#ttl = options.ttl ?? {};
    this.#now = options.now ?? Date.now;
  }

  /** Creates a store and runs `setup()`. */
  static async open(options: MisterSmithStoreOptions): Promise<MisterSmithStore> {
    const store = new MisterSmithStore(options);
    await store.setup();
    return store;
  }

  /** Provisions the bucket, migrates the tables and starts the sweeper if configured. Idempotent. */
  setup(): Promise<void> {
    return (this.#setup ??= (async () => {
      await provisionLangGraph(this.#nats, this.topology);
      await migrateLangGraph(this.#pg, this.schema);
      this.#kv = await JetStreamKvStore.open(this.#nats, this.topology.bucket.bucket, { maxValueSize: this.topology.bucket.maxValueSize ?? 1024 * 1024 });
      const every = this.#ttl.sweepIntervalMinutes;
      if (every !== undefined && every > 0) {
        this.#sweeper = setInterval(() => { void this.sweepExpired().catch(() => undefined); }, every * 60_000);
        this.#sweeper.unref();
      }
    })().catch((e: unknown) => { this.#setup = undefined; throw e; }));
  }

  override async start(): Promise<void> {
    await this.setup();
  }

  override async stop(): Promise<void> {
    await this.close();
  }

  /** Stops the sweeper; the connections stay open (they belong to the caller). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Deletes expired items from PostgreSQL; returns how many. */
  async sweepExpired(): Promise<number> {
    await this.#ready();
    return this.#rows.sweep(this.#now());
  }

  /** Like `BaseStore.put`, plus upstream PostgresStore's per-item `ttl` (minutes; `null`: never expires). */
  override async put(namespace: string[], key: string, value: Record<string, unknown>, index?: false | string[], options: { ttl?: number | null } = {}): Promise<void> {
    validateNamespace(namespace);
    await this.#ready();
    await this.#put({ namespace, key, value, ...(index !== undefined ? { index } : {}) }, options.ttl);
  }

  override async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    await this.#ready();
    const results: unknown[] = [];
    for (const op of operations) {
      if ('namespacePrefix' in op) results.push(await this.#search(op));
      else if ('matchConditions' in op || ('limit' in op && 'offset' in op && !('namespace' in op))) results.push(await this.#listNamespaces(op as ListNamespacesOperation));
      else if ('value' in op) { await this.#put(op as PutOperation); results.push(undefined); }
      else if ('namespace' in op && 'key' in op) results.push(await this.#get(op as GetOperation));
      else throw new LangGraphError('INVALID_CONFIG', `unsupported store operation ${JSON.stringify(op)}`);
    }
    return results as OperationResults<Op>;
  }

  async #ready(): Promise<KvStore> {
    if (this.#closed) throw new LangGraphError('CLOSED', 'the store is closed');
    await this.setup();
    return this.#kv!;
  }

  #cacheKey(ns: readonly string[], key: string): string {
    return `s.${encodeToken(joinNamespace(ns))}.${encodeToken(key)}`;
  }

  async #get(op: GetOperation): Promise<Item | null> {
    validateNamespace(op.namespace, { allowEmpty: true, allowReservedRoot: true });
    const kv = this.#kv!;
    const now = this.#now();
    const cached = await kv.get(this.#cacheKey(op.namespace, op.key));
    let item: StoredItem | null;
    if (cached && cached.operation === 'PUT') {
      const e = JSON.parse(decoder.decode(cached.value)) as CacheEntry;
      if (e.ns.join('\u0000') !== op.namespace.join('\u0000') || e.key !== op.key) throw new LangGraphError('ID_COLLISION', `store key ${JSON.stringify(op.key)} shares its hashed cache key with another item`);
      if (e.deleted) return null;
      item = e.expiresAt !== null && e.expiresAt <= now ? await this.#rows.get(op.namespace, op.key, now) : { ...e, namespace: e.ns };
    } else {
      item = await this.#rows.get(op.namespace, op.key, now);
      if (item) await this.#cache(item);
    }
    if (!item) return null;
    const [fresh] = await this.#refresh([item], now);
    return toItem(fresh ?? item);
  }

  async #put(op: PutOperation, ttl?: number | null): Promise<void> {
    validateNamespace(op.namespace);
    if (op.value === null) {
      const version = await this.#rows.delete(op.namespace, op.key);
      await this.#writeCache(this.#cacheKey(op.namespace, op.key), { ns: op.namespace, key: op.key, value: {}, createdAt: 0, updatedAt: 0, expiresAt: null, ttlMinutes: null, version, deleted: true });
      return;
    }
    if (typeof op.value !== 'object' || Array.isArray(op.value)) throw new LangGraphError('INVALID_CONFIG', `store values must be objects, got ${Array.isArray(op.value) ? 'an array' : typeof op.value}`);
    const ttlMinutes = ttl === undefined ? (this.#ttl.defaultTtl ?? null) : ttl;
    await this.#cache(await this.#rows.put(op.namespace, op.key, op.value, ttlMinutes, this.#now()));
  }

  async #search(op: SearchOperation): Promise<SearchItem[]> {
    validateNamespace(op.namespacePrefix, { allowEmpty: true, allowReservedRoot: true });
    if (op.query !== undefined && op.query !== null && op.query !== '') {
      throw new LangGraphError('VECTOR_SEARCH_UNSUPPORTED', 'MisterSmithStore does not index embeddings: search with `query` (semantic search) is not supported; use `filter`', { details: { query: op.query } });
    }
    const now = this.#now();
    const found = await this.#rows.search(op.namespacePrefix, op.filter, op.limit ?? 10, op.offset ?? 0, now);
    const refreshed = new Map((await this.#refresh(found, now)).map((i) => [`${joinNamespace(i.namespace)}\u0000${i.key}`, i]));
    return found.map((i) => toItem(refreshed.get(`${joinNamespace(i.namespace)}\u0000${i.key}`) ?? i));
  }

  async #listNamespaces(op: ListNamespacesOperation): Promise<string[][]> {
    return listMatchingNamespaces(await this.#rows.namespaces(this.#now()), op);
  }

  /** Refreshes the expiry of items past half their TTL (when refresh on read is on). */
  async #refresh(items: readonly StoredItem[], now: number): Promise<StoredItem[]> {
    if (this.#ttl.refreshOnRead === false) return [];
    const due = items.filter((i) => i.ttlMinutes !== null && i.expiresAt !== null && i.expiresAt - now < (i.ttlMinutes * 60_000) / 2);
    const fresh = await this.#rows.refresh(due, now);
    for (const f of fresh) await this.#cache(f);
    return fresh;
  }

  async #cache(item: StoredItem): Promise<void> {
    const { namespace, ...rest } = item;
    await this.#writeCache(this.#cacheKey(namespace, item.key), { ...rest, ns: namespace });
  }

  /** KV only moves forward: an entry of a higher version is never overwritten. */
  async #writeCache(key: string, entry: CacheEntry): Promise<void> {
    const bytes = encoder.encode(JSON.stringify(entry));
    if (bytes.length > (this.topology.bucket.maxValueSize ?? 1024 * 1024)) {
      // Too big for the cache: drop any cached copy, reads go to PostgreSQL.
      await this.#kv!.purge(key);
      return;
    }
    await this.#kv!.cas(key, (cur) => {
      if (cur && cur.operation === 'PUT' && (JSON.parse(decoder.decode(cur.value)) as CacheEntry).version > entry.version) return undefined;
      return bytes;
    });
  }
}

function toItem(i: StoredItem): Item {
  return { namespace: i.namespace, key: i.key, value: i.value, createdAt: new Date(i.createdAt), updatedAt: new Date(i.updatedAt) };
}

export { InvalidNamespaceError };
