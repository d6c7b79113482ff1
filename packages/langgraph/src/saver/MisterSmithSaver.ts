import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver, TASKS, WRITES_IDX_MAP, maxChannelVersion,
  type ChannelVersions, type Checkpoint, type CheckpointListOptions, type CheckpointMetadata, type CheckpointTuple, type PendingWrite, type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import {
  JetStreamEventLog, JetStreamKvStore, MisterSmithError, createEvent,
  type DatabaseHandle, type Durability, type KvStore, type NatsHandle,
} from '@mister-smith/core';
import { LRUCache } from 'lru-cache';
import { LangGraphError } from '../errors/LangGraphError.js';
import { langGraphTopology, type LangGraphTopology } from '../nats/langGraphTopology.js';
import { provisionLangGraph } from '../nats/provisionLangGraph.js';
import { CheckpointSink } from '../pg/CheckpointSink.js';
import { queryCheckpoints, type StoredCheckpoint } from '../pg/checkpointQueries.js';
import { assertSchemaName, migrateLangGraph } from '../pg/migrateLangGraph.js';
import { buildRecord } from './buildRecord.js';
import { configOf, threadRefOf } from './configOf.js';
import { decodeHead, encodeHead, readHead, repairHead, type Observed } from './headStore.js';
import { CHECKPOINT_PUT, WRITES_PUT, fromBase64, mergeWrites, toBase64, type HeadEntry, type WriteRec, type WritesRecord } from './records.js';
import { recoverCheckpoints, type RecoveryReport } from './recoverCheckpoints.js';
import { threadKeys, type ThreadKeys } from './threadKeys.js';
import { copyThread, deleteForRuns, deleteThreads, pruneKeepLatest, setThreadTtl, sweepExpiredThreads, type MaintenanceContext } from './threadMaintenance.js';
import { tupleOf } from './tupleOf.js';

/** Options of `MisterSmithSaver`. */
export interface MisterSmithSaverOptions {
  /** An open NATS connection (the saver does not close it). */
  readonly nats: NatsHandle;
  /** An open PostgreSQL handle (the saver does not close it). */
  readonly pg: DatabaseHandle;
  /** Mister Smith namespace: names the stream `NS_LANGGRAPH` and subjects `ns.langgraph.>` (default: none). */
  readonly namespace?: string | undefined;
  /** PostgreSQL schema of the adapter's tables (default `langgraph`). */
  readonly schema?: string;
  /**
   * When a `put` / `putWrites` is acknowledged: `jetstream` (default) after the event's PubAck and
   * the KV head update, PostgreSQL following by group commit; `postgres` also after the PostgreSQL
   * commit (survives power loss).
   */
  readonly durability?: Durability;
  /** `test` shrinks the stream's storage reservation. */
  readonly profile?: 'production' | 'test';
  /** How long the stream keeps events and KV keeps heads (default 1800 s). */
  readonly retentionSeconds?: number;
  /** Default time-to-live of a thread after its last write; `sweepExpired()` deletes expired threads. Unset: threads never expire. */
  readonly defaultTtlSeconds?: number;
  readonly serde?: SerializerProtocol;
  /** Threads whose head this process remembers (fencing token and KV revision), at least 1. Default 10 000. */
  readonly cachedThreads?: number;
  /**
   * `await` (default): a put is acknowledged once its KV head is written too, so every process
   * reads it from KV at once. `background`: acknowledged at the event's PubAck, the KV head
   * following right behind (ordered per thread; this saver's own reads wait for it). Another
   * process may read the previous head for that moment; if it then writes, it is fenced, never forked.
   */
  readonly kvWrite?: 'await' | 'background';
}

/**
 * A LangGraph.js checkpointer on Mister Smith state. Each checkpoint is an event on
 * `langgraph.c.<thread>.<ns>` (the commit point), the latest one per thread namespace is hot in KV,
 * and PostgreSQL holds every checkpoint, blob and write (tables keyed like the upstream Postgres
 * saver's). Thread ids and namespaces are arbitrary strings, mapped injectively onto subjects.
 *
 * Single writer per thread: a put is appended only if nobody wrote the thread namespace since this
 * saver last saw it (the subject's last sequence is the fencing token), so two processes never
 * fork a chain; the loser gets `LangGraphError` `THREAD_FENCED` and nothing of its write is stored.
 *
 * @example
 * const saver = await MisterSmithSaver.open({ nats, pg });
 * const graph = builder.compile({ checkpointer: saver });
 * await graph.invoke(input, { configurable: { thread_id: 'conversation 42' } });
 */
export class MisterSmithSaver extends BaseCheckpointSaver {
  readonly topology: LangGraphTopology;
  readonly schema: string;
  readonly durability: Durability;
  readonly #kvWrite: 'await' | 'background';
  readonly #nats: NatsHandle;
  readonly #pg: DatabaseHandle;
  readonly #log: JetStreamEventLog;
  readonly #sink: CheckpointSink;
  readonly #heads: LRUCache<string, Observed>;
  readonly #chains = new Map<string, Promise<unknown>>();
  #kv: KvStore | undefined;
  #setup: Promise<void> | undefined;
  #closed = false;
  #lastRecovery: RecoveryReport | undefined;

  constructor(options: MisterSmithSaverOptions) {
    super(options.serde);
    this.#nats = options.nats;
    this.#pg = options.pg;
    this.schema = assertSchemaName(options.schema ?? 'langgraph');
    this.durability = options.durability ?? 'jetstream';
    this.#kvWrite = options.kvWrite ?? 'await';
    this.topology = langGraphTopology({
      namespace: options.namespace, profile: options.profile ?? 'production', clusterSize: options.nats.clusterSize,
      ...(options.retentionSeconds !== undefined ? { retentionSeconds: options.retentionSeconds } : {}),
    });
    this.#log = new JetStreamEventLog(options.nats, this.topology.stream, { namespace: this.topology.namespace });
    this.#sink = new CheckpointSink(options.pg, this.schema, options.defaultTtlSeconds !== undefined ? { defaultTtlSeconds: options.defaultTtlSeconds } : {});
    this.#heads = new LRUCache({ max: Math.max(1, options.cachedThreads ?? 10_000) });
  }

  /** Creates a saver and runs `setup()`. */
  static async open(options: MisterSmithSaverOptions): Promise<MisterSmithSaver> {
    const saver = new MisterSmithSaver(options);
    await saver.setup();
    return saver;
  }

  /**
   * Provisions the stream and bucket, migrates the tables, and replays into PostgreSQL any
   * acknowledged checkpoint a crashed process had not written there yet. Idempotent; the other
   * methods call it on first use.
   */
  setup(): Promise<void> {
    return (this.#setup ??= (async () => {
      await provisionLangGraph(this.#nats, this.topology);
      await migrateLangGraph(this.#pg, this.schema);
      this.#kv = await JetStreamKvStore.open(this.#nats, this.topology.bucket.bucket, { maxValueSize: this.topology.bucket.maxValueSize ?? 1024 * 1024 });
      this.#lastRecovery = await recoverCheckpoints({ log: this.#log, pg: this.#pg, schema: this.schema, sink: this.#sink, kv: this.#kv });
    })().catch((e: unknown) => { this.#setup = undefined; throw e; }));
  }

  /** What the last `setup()` replayed from the stream into PostgreSQL, and how many lagging KV heads it moved forward. */
  get lastRecovery(): RecoveryReport | undefined {
    return this.#lastRecovery;
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    if (config.configurable?.thread_id === undefined || config.configurable.thread_id === null) return undefined;
    const ref = threadRefOf(config, 'getTuple');
    const kv = await this.#ready();
    const keys = threadKeys(ref.threadId, ref.ns);
    await this.#chains.get(keys.id);
    const obs = await readHead(kv, this.#log, keys);
    this.#heads.set(keys.id, obs);
    const head = obs.entry;
    if (head && (ref.checkpointId === undefined || ref.checkpointId === head.record.id) && ((head.record.checkpoint as { v?: number }).v ?? 4) >= 4) {
      return tupleOf(this.serde, head.record, head.writes ?? (await this.#pgWrites(keys, head.record.id)));
    }
    await this.#sink.drained();
    const [row] = await queryCheckpoints(this.#pg, this.schema, { threadId: ref.threadId, ns: ref.ns, ...(ref.checkpointId !== undefined ? { checkpointId: ref.checkpointId } : {}), limit: 1 });
    return row ? this.#tupleOfStored(row) : undefined;
  }

  override async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    await this.#ready();
    await this.#sink.drained();
    const c = config.configurable ?? {};
    const before: unknown = options.before?.configurable?.checkpoint_id;
    const rows = await queryCheckpoints(this.#pg, this.schema, {
      ...(c.thread_id !== undefined && c.thread_id !== null ? { threadId: String(c.thread_id) } : {}),
      ...(typeof c.checkpoint_ns === 'string' ? { ns: c.checkpoint_ns } : {}),
      ...(typeof c.checkpoint_id === 'string' && c.checkpoint_id !== '' ? { checkpointId: c.checkpoint_id } : {}),
      ...(typeof before === 'string' ? { before } : {}),
      ...(options.filter ? { filter: options.filter } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    });
    for (const row of rows) yield await this.#tupleOfStored(row);
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const ref = threadRefOf(config, 'put');
    const kv = await this.#ready();
    const keys = threadKeys(ref.threadId, ref.ns);
    return this.#serialWithTail(keys.id, async () => {
      const obs = this.#heads.get(keys.id) ?? (await readHead(kv, this.#log, keys));
      const record = await buildRecord({
        serde: this.serde, threadId: ref.threadId, ns: ref.ns, parentId: ref.checkpointId, checkpoint, metadata, newVersions,
        previous: obs.entry?.record,
        lookupBlobs: (channels) => this.#pgBlobs(keys, channels),
      });
      let seq: number;
      try {
        seq = (await this.#log.append(createEvent({ type: CHECKPOINT_PUT, subject: keys.checkpointSubject, data: record }), { expectedLastSubjectSeq: obs.seq })).seq;
      } catch (e) {
        if (!MisterSmithError.is(e, 'SEQUENCE_CONFLICT')) throw e;
        this.#heads.delete(keys.id);
        // If KV lags the stream (a writer died between its append and its KV write), move it up so the next reader sees the real head.
        await repairHead(this.#nats, kv, this.#log, keys).catch(() => undefined);
        throw new LangGraphError('THREAD_FENCED', `thread ${JSON.stringify(ref.threadId)} (namespace ${JSON.stringify(ref.ns)}) was written by another saver since this one read it; checkpoint ${checkpoint.id} was not stored. Reload the thread and retry.`, { cause: e, details: { threadId: ref.threadId, checkpointNs: ref.ns, checkpointId: checkpoint.id, expectedSeq: obs.seq } });
      }
      const persisted = this.#sink.write({ kind: 'checkpoint', seq, record });
      const { newChannels: _n, ...headRecord } = record;
      void _n;
      const prev = obs.entry;
      const entry: HeadEntry = !prev || record.id > prev.record.id
        ? { record: { ...headRecord, newChannels: [] }, seq, writes: [] }
        : record.id === prev.record.id ? { record: { ...headRecord, newChannels: [] }, seq, writes: prev.writes } : { ...prev, seq };
      const head = this.#writeHead(kv, keys, entry, obs.revision);
      const value = configOf(ref.threadId, ref.ns, checkpoint.id);
      if (this.#kvWrite === 'background' && this.durability === 'jetstream') return { value, tail: head.catch(() => { this.#heads.delete(keys.id); }) };
      await head;
      await this.#settle(persisted);
      return { value };
    });
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const ref = threadRefOf(config, 'putWrites');
    if (ref.checkpointId === undefined) throw new LangGraphError('INVALID_CONFIG', 'putWrites: configurable.checkpoint_id is required', { details: { threadId: ref.threadId } });
    const checkpointId = ref.checkpointId;
    const kv = await this.#ready();
    const keys = threadKeys(ref.threadId, ref.ns);
    const recs: WriteRec[] = await Promise.all(writes.map(async ([ch, value], i) => {
      const [t, bytes] = await this.serde.dumpsTyped(value);
      return { task: taskId, idx: WRITES_IDX_MAP[ch] ?? i, ch, t, d: toBase64(bytes), path: taskPath ?? '' };
    }));
    const record: WritesRecord = { threadId: ref.threadId, ns: ref.ns, checkpointId, upsert: writes.every(([ch]) => ch in WRITES_IDX_MAP), writes: recs };
    await this.#serial(keys.id, async () => {
      const { seq } = await this.#log.append(createEvent({ type: WRITES_PUT, subject: keys.writesSubject, data: record }));
      const persisted = this.#sink.write({ kind: 'writes', seq, record });
      await this.#addHeadWrites(kv, keys, record);
      await this.#settle(persisted);
    });
  }

  override async deleteThread(threadId: string): Promise<void> {
    await this.#ready();
    await deleteThreads(this.#maintenance(), [String(threadId)]);
  }

  /**
   * Removes old state of threads: `keep_latest` keeps each namespace's latest checkpoint (and its
   * writes and blobs), `delete` removes the threads entirely.
   */
  async prune(threadIds: readonly string[], strategy: 'keep_latest' | 'delete' = 'keep_latest'): Promise<void> {
    await this.#ready();
    if (strategy === 'delete') await deleteThreads(this.#maintenance(), threadIds);
    else await pruneKeepLatest(this.#maintenance(), threadIds);
  }

  /** Copies every checkpoint, blob and write of `from` to `to` (a fork of the whole thread). */
  async copyThread(from: string, to: string): Promise<void> {
    await this.#ready();
    await copyThread(this.#maintenance(), from, to);
  }

  /** Deletes the checkpoints (and their writes) whose metadata `run_id` is one of `runIds`. Returns how many. */
  async deleteForRuns(runIds: readonly string[]): Promise<number> {
    await this.#ready();
    return deleteForRuns(this.#maintenance(), runIds);
  }

  /** Gives a thread its own time-to-live after its last write (`null`: never expires). */
  async setThreadTtl(threadId: string, ttlSeconds: number | null): Promise<void> {
    await this.#ready();
    await setThreadTtl(this.#pg, this.schema, threadId, ttlSeconds);
  }

  /** Deletes the threads whose time-to-live has passed; returns their ids. */
  async sweepExpired(): Promise<string[]> {
    await this.#ready();
    return sweepExpiredThreads(this.#maintenance());
  }

  /** Waits until every acknowledged write of this saver is in PostgreSQL. */
  async flush(): Promise<void> {
    await Promise.all([...this.#chains.values()].map((p) => p.catch(() => undefined)));
    await this.#sink.drained();
  }

  /** Flushes and stops using the connections (which stay open: they belong to the caller). */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #ready(): Promise<KvStore> {
    if (this.#closed) throw new LangGraphError('CLOSED', 'the saver is closed');
    await this.setup();
    return this.#kv!;
  }

  #maintenance(): MaintenanceContext {
    return {
      nats: this.#nats, pg: this.#pg, schema: this.schema, log: this.#log, kv: this.#kv!, topology: this.topology,
      // Maintenance rewrites heads of whole threads: forget every remembered head (they are re-read on demand).
      drain: () => this.flush(), forget: () => { this.#heads.clear(); },
    };
  }

  /** Runs `fn` after every earlier operation on the same thread namespace of this saver. */
  #serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#serialWithTail(key, async () => ({ value: await fn() }));
  }

  /** Like `#serial`, but the next operation also waits for `tail` (work finishing after the caller was answered). */
  #serialWithTail<T>(key: string, fn: () => Promise<{ value: T; tail?: Promise<void> }>): Promise<T> {
    const prev = this.#chains.get(key) ?? Promise.resolve();
    const started = prev.catch(() => undefined).then(fn);
    const run = started.then((r) => r.value);
    const tail = started.then((r) => r.tail).catch(() => undefined);
    this.#chains.set(key, tail);
    void tail.then(() => { if (this.#chains.get(key) === tail) this.#chains.delete(key); });
    return run;
  }

  async #settle(persisted: Promise<void>): Promise<void> {
    if (this.durability === 'postgres') await persisted;
    // At the JetStream level the event is the commit; a failed flush is replayed by recovery.
    else persisted.catch(() => undefined);
  }

  /** The head's bytes; pending writes that would not fit the bucket's value limit stay in PostgreSQL only (`writes: null`). */
  #fitHead(entry: HeadEntry): { entry: HeadEntry; bytes: Uint8Array } {
    const bytes = encodeHead(entry);
    if (bytes.length <= (this.topology.bucket.maxValueSize ?? 1024 * 1024) - 1024 || entry.writes === null) return { entry, bytes };
    const cold: HeadEntry = { ...entry, writes: null };
    return { entry: cold, bytes: encodeHead(cold) };
  }

  async #writeHead(kv: KvStore, keys: ThreadKeys, wanted: HeadEntry, revision: number | undefined): Promise<void> {
    const { entry, bytes } = this.#fitHead(wanted);
    try {
      const rev = revision === undefined ? await kv.create(keys.headKey, bytes) : await kv.update(keys.headKey, bytes, revision);
      this.#heads.set(keys.id, { entry, revision: rev, seq: entry.seq });
      return;
    } catch (e) {
      if (!MisterSmithError.is(e, 'REVISION_CONFLICT')) throw e;
    }
    // Someone else touched the head (writes of another process, a repair): KV only moves forward.
    const r = await kv.cas(keys.headKey, (cur) => (cur && cur.operation === 'PUT' && decodeHead(cur.value).seq > entry.seq ? undefined : bytes));
    if (r.written) this.#heads.set(keys.id, { entry, revision: r.revision, seq: entry.seq });
    else this.#heads.delete(keys.id);
  }

  async #addHeadWrites(kv: KvStore, keys: ThreadKeys, record: WritesRecord): Promise<void> {
    let obs = this.#heads.get(keys.id) ?? (await readHead(kv, this.#log, keys));
    for (let attempt = 0; attempt < 10; attempt++) {
      const head = obs.entry;
      if (!head || head.record.id !== record.checkpointId || head.writes === null || obs.revision === undefined) return;
      const { entry, bytes } = this.#fitHead({ ...head, writes: mergeWrites(head.writes, record.writes, record.upsert) });
      try {
        const rev = await kv.update(keys.headKey, bytes, obs.revision);
        this.#heads.set(keys.id, { entry, revision: rev, seq: entry.seq });
        return;
      } catch (e) {
        if (!MisterSmithError.is(e, 'REVISION_CONFLICT')) throw e;
        obs = await readHead(kv, this.#log, keys);
      }
    }
    // Lost every race: mark the head's writes unknown so readers take them from PostgreSQL.
    this.#heads.delete(keys.id);
    await kv.cas(keys.headKey, (cur) => {
      if (!cur || cur.operation !== 'PUT') return undefined;
      const h = decodeHead(cur.value);
      return h.record.id === record.checkpointId ? encodeHead({ ...h, writes: null }) : undefined;
    });
  }

  async #pgWrites(keys: ThreadKeys, checkpointId: string): Promise<WriteRec[]> {
    await this.#sink.drained();
    const [row] = await queryCheckpoints(this.#pg, this.schema, { threadId: keys.threadId, ns: keys.ns, checkpointId, limit: 1 });
    return row?.writes ?? [];
  }

  async #pgBlobs(keys: ThreadKeys, channels: readonly (readonly [string, string])[]): Promise<Map<string, { t: string; d?: string }>> {
    await this.#sink.drained();
    const out = new Map<string, { t: string; d?: string }>();
    if (channels.length === 0) return out;
    const { rows } = await this.#pg.withClient((c) => c.query<{ channel: string; version: string; type: string; blob: Buffer | null }>(
      `SELECT b.channel, b.version, b.type, b.blob FROM "${this.schema}".checkpoint_blobs b
         JOIN unnest($3::text[], $4::text[]) AS w(channel, version) ON w.channel = b.channel AND w.version = b.version
        WHERE b.thread_id = $1 AND b.checkpoint_ns = $2`,
      [keys.threadId, keys.ns, channels.map(([c]) => c), channels.map(([, v]) => v)]));
    for (const r of rows) out.set(`${r.channel}\u0000${r.version}`, { t: r.type, ...(r.blob ? { d: toBase64(r.blob) } : {}) });
    return out;
  }

  async #tupleOfStored(row: StoredCheckpoint): Promise<CheckpointTuple> {
    const tuple = await tupleOf(this.serde, row.record, row.writes);
    if (row.pendingSends && row.pendingSends.length > 0) {
      const sends = await Promise.all(row.pendingSends.map((s) => this.serde.loadsTyped(s.t, fromBase64(s.d))));
      tuple.checkpoint.channel_values[TASKS] = sends;
      const versions = Object.values(tuple.checkpoint.channel_versions);
      tuple.checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
    }
    return tuple;
  }
}
