import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  applyWrite, CrdtError, describeOutcome, HybridLogicalClock, parseStored, resolveStrategy, strategyFor,
  validateStrategySpec, type ConflictStrategy, type StoredValue,
} from '@mister-smith/crdt';
import { agentKvKey, assertAgentId, assertStateKey } from '../config/identifiers.js';
import type { Topology } from '../config/topology.js';
import { MisterSmithError, msError } from '../errors/MisterSmithError.js';
import { compareVersions, type StreamPosition } from '../events/EventEnvelope.js';
import { JetStreamEventLog } from '../eventlog/JetStreamEventLog.js';
import { JetStreamKvStore } from '../kv/JetStreamKvStore.js';
import { retryTransient } from '../nats/retryTransient.js';
import type { NatsHandle } from '../nats/connectNats.js';
import type { DatabaseHandle } from '../pg/createDatabase.js';
import { stateMetrics } from '../observability/coreMetrics.js';
import { silentLogger } from '../observability/createLogger.js';
import { createRegistry } from '../observability/coreMetrics.js';
import { decodeKvStateEntry, encodeKvStateEntry, type KvStateEntry } from './kvStateEntry.js';
import { KeyedMutex } from './KeyedMutex.js';
import { LruCache } from './LruCache.js';
import { openSharedBucket } from './openSharedBucket.js';
import { recoverFromStream, type RecoveredEntry } from './recoverFromStream.js';
import { AgentViews, type AgentView } from './AgentViews.js';
import { stateChanged, stateSubject, type StrategyName } from './stateEvents.js';
import type { ConflictNotice, FlushReport, HydrateReport, SharedStateBucket, StateEntry, StateStore, StateStoreOptions, WriteOptions, WriteResult } from './StateStore.js';
import { WriteBehind } from './WriteBehind.js';
import { writeKvForward } from './writeKvForward.js';

/** What the state store runs on. */
export interface StateStoreDeps {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

const MAX_APPEND_ATTEMPTS = 40;

interface Current extends KvStateEntry { readonly source: StateEntry['source'] }

/**
 * Opens the hybrid state plane on a provisioned topology and migrated database.
 *
 * @example
 * const store = await createStateStore({ nats, pg, topology });
 * await store.write('agent-1', 'count', 1);
 * await store.read('agent-1', 'count'); // 1
 * await store.close();
 */
export async function createStateStore(deps: StateStoreDeps, options: StateStoreOptions = {}): Promise<StateStore & { onFlush(l: (r: FlushReport) => void): () => void }> {
  const { nats, pg, topology } = deps;
  const logger = deps.logger ?? silentLogger();
  const metrics = stateMetrics(deps.registry ?? createRegistry());
  if (options.strategies) validateStrategySpec(options.strategies);
  const writerId = options.writerId ?? `w-${randomBytes(4).toString('hex')}`;
  const clock = new HybridLogicalClock(writerId);
  const log = new JetStreamEventLog(nats, topology.streams.agentState, { namespace: topology.namespace });
  const bucketSpec = topology.buckets.agentState;
  const kv = await JetStreamKvStore.open(nats, bucketSpec.bucket, bucketSpec.maxValueSize !== undefined ? { maxValueSize: bucketSpec.maxValueSize } : {});
  const epoch = await log.epoch();
  const cacheOpts = { maxEntries: options.cache?.maxEntries ?? 10_000, ttlMs: options.cache?.ttlMs ?? 30_000 };
  const l1 = new LruCache<Current>(cacheOpts.maxEntries, cacheOpts.ttlMs);
  const locks = new KeyedMutex();
  const views = new AgentViews(options.cache?.maxAgents ?? 10_000);
  const conflictListeners = new Set<(n: ConflictNotice) => void>();
  const wb = new WriteBehind(pg.framework(), { threshold: options.flushThreshold ?? 50, intervalMs: options.flushIntervalMs ?? 1000, logger, metrics });
  const defaultDurability = options.durability ?? 'jetstream';
  const awaitKv = options.kvWrite !== 'background';
  const pendingKv = new Map<string, Promise<void>>();
  let closed = false;

  const strategyOf = (key: string, choice?: StrategyName | ConflictStrategy): ConflictStrategy =>
    choice === undefined ? resolveStrategy(options.strategies, key) : typeof choice === 'string' ? strategyFor(choice) : choice;

  // L1 invalidation: every KV change moves the cached entry forward (or drops it).
  const watch = options.watch === false || cacheOpts.maxEntries <= 0 ? undefined : await kv.watch({ updatesOnly: true });
  const watchLoop = watch ? (async () => {
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
  })().catch((e: unknown) => { if (!closed) logger.warn({ err: e }, 'KV watch ended; L1 cache disabled until restart'); l1.clear(); }) : undefined;

  async function fromPostgres(agentId: string, key: string): Promise<KvStateEntry | undefined> {
    const row = await pg.db.selectFrom('agents.state').selectAll().where('agent_id', '=', agentId).where('state_key', '=', key).executeTakeFirst()
      .catch((e: unknown) => { throw msError('POSTGRES_UNAVAILABLE', `reading ${agentId}/${key} from PostgreSQL failed`, { cause: e }); });
    if (!row) return undefined;
    return { epoch: row.version_epoch, seq: row.version, strategy: row.strategy as StrategyName, value: row.state_value, stored: row.meta, ...(row.tombstone ? { tombstone: true } : {}) };
  }

  /** L1 -> KV -> PostgreSQL (hydrating KV on the way). Tombstones come back as entries. */
  async function current(agentId: string, key: string): Promise<Current | undefined> {
    const kvKey = agentKvKey(agentId, key);
    const cached = l1.get(kvKey);
    if (cached) { metrics.reads.inc({ source: 'memory' }); return { ...cached, source: 'memory' }; }
    // Read-your-writes without L1: our own KV write of this key lands before we read KV.
    await pendingKv.get(kvKey);
    const item = await kv.get(kvKey);
    if (item) {
      const entry = decodeKvStateEntry(kvKey, item.value);
      l1.set(kvKey, { ...entry, source: 'kv' });
      metrics.reads.inc({ source: 'kv' });
      return { ...entry, source: 'kv' };
    }
    const row = await fromPostgres(agentId, key);
    metrics.reads.inc({ source: 'postgres' });
    if (!row) return undefined;
    // Lazy hydration: never overwrite a newer value that raced into KV meanwhile.
    if (!row.tombstone) await writeKvForward(kv, kvKey, row);
    l1.set(kvKey, { ...row, source: 'postgres' });
    return { ...row, source: 'postgres' };
  }

  function storedOf(strategy: ConflictStrategy, entry: KvStateEntry | undefined, ctx: { writer: string; clock: HybridLogicalClock }): StoredValue | undefined {
    if (!entry || entry.tombstone) return undefined;
    if (entry.stored !== null && entry.stored !== undefined) {
      try {
        const s = parseStored(entry.stored);
        if (s.s === strategy.name) return s;
      } catch (e) {
        if (!CrdtError.is(e)) throw e;
      }
    }
    // A plain value (an SQL edit, or a key whose strategy changed): adopt it as the base.
    return strategy.prepare(entry.value, ctx, undefined);
  }

  /** Builds what this process knows of an agent: PostgreSQL rows, then the stream after them. */
  async function loadView(agentId: string): Promise<{ view: AgentView; repaired: RecoveredEntry[] }> {
    const rows = await pg.db.selectFrom('agents.state').selectAll().where('agent_id', '=', agentId).execute()
      .catch((e: unknown) => { throw msError('POSTGRES_UNAVAILABLE', `loading ${agentId} from PostgreSQL failed`, { cause: e }); });
    const entries = new Map<string, KvStateEntry>();
    let pgHead = 0;
    for (const r of rows) {
      entries.set(r.state_key, { epoch: r.version_epoch, seq: r.version, strategy: r.strategy as StrategyName, value: r.state_value, stored: r.meta, ...(r.tombstone ? { tombstone: true } : {}) });
      if (r.version_epoch === epoch) pgHead = Math.max(pgHead, r.version);
    }
    // Acknowledged writes that never reached PostgreSQL (a crash before the flush) are in the stream.
    const caught = await recoverFromStream(log, agentId, pgHead);
    const repaired: RecoveredEntry[] = [];
    for (const [key, e] of caught.latest) {
      const prev = entries.get(key);
      if (!prev || compareVersions(prev, e) < 0) { entries.set(key, e); repaired.push({ ...e, key } as RecoveredEntry & { key: string }); }
    }
    const view: AgentView = { seq: Math.max(pgHead, caught.lastSeq), entries, kvRevisions: new Map() };
    views.set(agentId, view);
    return { view, repaired };
  }

  /** Moves a view forward to the stream's head for the agent. */
  async function catchUp(agentId: string, view: AgentView): Promise<void> {
    const caught = await recoverFromStream(log, agentId, view.seq);
    for (const [key, e] of caught.latest) {
      const prev = view.entries.get(key);
      if (!prev || compareVersions(prev, e) < 0) {
        view.entries.set(key, e);
        view.kvRevisions.delete(key);
        l1.delete(agentKvKey(agentId, key));
      }
    }
    view.seq = Math.max(view.seq, caught.lastSeq);
  }

  /**
   * The KV write after a commit runs behind the acknowledgement (the append is the commit point),
   * chained per key so KV sees a key's versions in order. A failure is logged: the agent-state
   * projection or the next hydration repairs KV from the stream.
   */
  function queueKvWrite(view: AgentView, key: string, kvKey: string, entry: KvStateEntry): Promise<void> {
    const prev = pendingKv.get(kvKey) ?? Promise.resolve();
    const next = prev.then(() => writeKv(view, key, kvKey, entry)).catch((e: unknown) => {
      view.kvRevisions.delete(key);
      logger.warn({ err: e, key: kvKey, seq: entry.seq }, 'KV write after commit failed; KV is behind until the projection or a hydration repairs it');
    });
    pendingKv.set(kvKey, next);
    void next.then(() => { if (pendingKv.get(kvKey) === next) pendingKv.delete(kvKey); });
    return next;
  }

  /** KV moves forward: a direct update when the revision is known, else compare-and-set. */
  async function writeKv(view: AgentView, key: string, kvKey: string, entry: KvStateEntry): Promise<void> {
    // The event is committed already: a failover must delay the KV write, not fail the write.
    await retryTransient(() => writeKvOnce(view, key, kvKey, entry), { attempts: 8 });
  }

  async function writeKvOnce(view: AgentView, key: string, kvKey: string, entry: KvStateEntry): Promise<void> {
    const rev = view.kvRevisions.get(key);
    if (rev !== undefined) {
      try {
        view.kvRevisions.set(key, await kv.update(kvKey, encodeKvStateEntry(entry), rev));
        return;
      } catch (e) {
        if (!MisterSmithError.is(e, 'REVISION_CONFLICT')) throw e;
      }
    }
    view.kvRevisions.delete(key);
    await writeKvForward(kv, kvKey, entry, { onWritten: (r) => view.kvRevisions.set(key, r) });
  }

  async function commit(agentId: string, key: string, op: 'put' | 'delete', input: unknown, opts: WriteOptions): Promise<WriteResult> {
    if (closed) throw msError('CLOSED', 'the state store is closed');
    assertAgentId(agentId);
    assertStateKey(key, { allowReserved: opts.reserved === true });
    const strategy = strategyOf(key, opts.strategy);
    const writer = opts.writer ?? writerId;
    const ctx = { writer, clock };
    const kvKey = agentKvKey(agentId, key);
    return locks.run(agentId, async () => {
      const view = views.get(agentId) ?? (await loadView(agentId)).view;
      const fenced = opts.expectedLastSeq !== undefined;
      if (fenced && opts.expectedLastSeq! > view.seq) await catchUp(agentId, view);
      let cur = view.entries.get(key);
      const base = cur && opts.base && compareVersions(cur, opts.base) > 0 ? await baseAt(kvKey, opts.base, strategy, ctx) : undefined;
      const prepareOn = (c: KvStateEntry | undefined): StoredValue | null =>
        op === 'delete' ? null : applyWrite(strategy, input, { ...ctx, ...(base ? { base } : {}) }, storedOf(strategy, c, ctx));
      let next = prepareOn(cur);
      let merged = false;
      if (base && next && cur) {
        // The command was made against an older version: report how the strategy reconciled it.
        const curStored = storedOf(strategy, cur, ctx);
        const prepared = strategy.prepare(input, { ...ctx, base }, curStored);
        const outcome = curStored ? describeOutcome(curStored, prepared, next) : 'took-incoming';
        merged = outcome !== 'took-incoming' && outcome !== 'unchanged';
        if (merged) notifyConflict({ agentId, key, strategy: strategy.name, writers: [writer], outcome });
      }
      for (let attempt = 1; ; attempt++) {
        const value = next === null ? null : strategy.read(next);
        const event = stateChanged(agentId, { key, op, value, stored: next, strategy: strategy.name, writer, ...(opts.commandId ? { commandId: opts.commandId } : {}) },
          { ...(opts.correlationId ? { correlationId: opts.correlationId } : {}), ...(opts.causationId ? { causationId: opts.causationId } : {}), ...(opts.traceparent ? { traceparent: opts.traceparent } : {}) });
        const expected = fenced ? opts.expectedLastSeq! : view.seq;
        try {
          let ack: { epoch: number; seq: number };
          try {
            ack = await log.append(event, { expectedLastSubjectSeq: expected });
          } catch (e) {
            // A retry inside append may meet its own first attempt, which landed although its ack
            // was lost (a timeout): then this very event is the newest for the key, and appending
            // another would store the value twice.
            if (!MisterSmithError.is(e, 'SEQUENCE_CONFLICT')) throw e;
            await catchUp(agentId, view);
            const mine = view.entries.get(key) as RecoveredEntry | undefined;
            if (mine?.eventId !== event.id) throw e;
            ack = { epoch: mine.epoch, seq: mine.seq };
          }
          const entry: KvStateEntry = { epoch: ack.epoch, seq: ack.seq, strategy: strategy.name, value, stored: next, ...(op === 'delete' ? { tombstone: true } : {}) };
          view.seq = Math.max(view.seq, ack.seq);
          view.entries.set(key, entry);
          const kvWrite = queueKvWrite(view, key, kvKey, entry);
          if (awaitKv) await kvWrite;
          l1.set(kvKey, { ...entry, source: 'memory' });
          metrics.writes.inc({ strategy: strategy.name });
          wb.add({ agentId, stateKey: key, value, meta: next, epoch: ack.epoch, seq: ack.seq, tombstone: op === 'delete', strategy: strategy.name });
          if ((opts.durability ?? defaultDurability) === 'postgres') await wb.flush((r) => r.agentId === agentId && r.stateKey === key);
          return { version: { epoch: ack.epoch, seq: ack.seq }, value: op === 'delete' ? undefined : value, merged };
        } catch (e) {
          if (!MisterSmithError.is(e, 'SEQUENCE_CONFLICT')) throw e;
          // Another writer appended to this agent first: catch up from the stream, then reconcile.
          await catchUp(agentId, view);
          if (fenced) throw e;
          if (attempt >= MAX_APPEND_ATTEMPTS) {
            throw msError('RETRIES_EXHAUSTED', `write of ${agentId}/${key} lost ${attempt} append races in a row to other writers of this agent; route writes through the agent's owner`, { cause: e, details: { agentId, key, attempts: attempt } });
          }
          const latest = view.entries.get(key);
          if (latest && (!cur || compareVersions(cur, latest) < 0)) {
            const from = (latest as RecoveredEntry).writer ?? 'unknown';
            cur = latest;
            if (typeof input === 'function' && strategy.name === 'lww') {
              next = prepareOn(latest); // read-modify-write: re-apply the recipe to the newer value
            } else if (next !== null) {
              const latestStored = storedOf(strategy, latest, ctx);
              if (latestStored) {
                const m = strategy.merge(latestStored, next);
                const outcome = describeOutcome(latestStored, next, m);
                if (outcome !== 'took-incoming' && outcome !== 'unchanged') {
                  merged = true;
                  notifyConflict({ agentId, key, strategy: strategy.name, writers: [writer, from], outcome });
                }
                next = m;
              }
            }
          }
          // Full jitter, growing: spreads competing writers so one of them wins each round.
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 2 ** attempt)));
        }
      }
    });
  }

  async function baseAt(kvKey: string, base: StreamPosition, strategy: ConflictStrategy, ctx: { writer: string; clock: HybridLogicalClock }): Promise<StoredValue | undefined> {
    for (const h of (await kv.history(kvKey)).reverse()) {
      if (h.operation !== 'PUT') continue;
      try {
        const e = decodeKvStateEntry(kvKey, h.value);
        if (e.epoch === base.epoch && e.seq === base.seq) return storedOf(strategy, e, ctx);
      } catch { /* an unreadable old revision cannot be the base */ }
    }
    return undefined;
  }

  function notifyConflict(n: ConflictNotice): void {
    metrics.conflicts.inc({ strategy: n.strategy, outcome: n.outcome });
    logger.info({ agentId: n.agentId, key: n.key, strategy: n.strategy, writers: n.writers, outcome: n.outcome }, 'conflict resolved');
    for (const l of conflictListeners) l(n);
  }

  async function hydrateAgent(agentId: string): Promise<HydrateReport> {
    assertAgentId(agentId);
    return locks.run(agentId, async () => {
      const { view, repaired } = await loadView(agentId);
      for (const e of repaired) {
        const key = (e as RecoveredEntry & { key: string }).key;
        wb.add({ agentId, stateKey: key, value: e.value, meta: e.stored, epoch: e.epoch, seq: e.seq, tombstone: e.tombstone === true, strategy: e.strategy });
      }
      if (repaired.length > 0) await wb.flush((r) => r.agentId === agentId);
      let hydrated = 0;
      let alreadyInKv = 0;
      await Promise.all([...view.entries].map(async ([key, e]) => {
        const kvKey = agentKvKey(agentId, key);
        const outcome = await writeKvForward(kv, kvKey, e, { onWritten: (r) => view.kvRevisions.set(key, r) });
        if (outcome === 'written') hydrated++; else alreadyInKv++;
        l1.delete(kvKey);
      }));
      const values: Record<string, unknown> = {};
      for (const [key, e] of view.entries) if (!e.tombstone) values[key] = e.value;
      return { agentId, keys: view.entries.size, hydrated, alreadyInKv, repaired: repaired.length, values, seq: view.seq };
    });
  }

  const store = {
    write: (agentId: string, key: string, input: unknown, opts: WriteOptions = {}) => commit(agentId, key, 'put', input, opts),
    delete: (agentId: string, key: string, opts: WriteOptions = {}) => commit(agentId, key, 'delete', undefined, opts),
    async read(agentId: string, key: string) {
      return (await store.readEntry(agentId, key))?.value;
    },
    async readEntry(agentId: string, key: string): Promise<StateEntry | undefined> {
      assertAgentId(agentId);
      assertStateKey(key, { allowReserved: true });
      const c = await current(agentId, key);
      if (!c || c.tombstone) return undefined;
      return { agentId, key, value: c.value, version: { epoch: c.epoch, seq: c.seq }, strategy: c.strategy, source: c.source };
    },
    async readAll(agentId: string) {
      assertAgentId(agentId);
      const rows = await pg.db.selectFrom('agents.state').select('state_key').where('agent_id', '=', agentId).execute();
      const keys = new Set<string>(rows.map((r) => r.state_key));
      for (const k of await kv.keys(`${agentId}.>`)) keys.add(k.slice(agentId.length + 1));
      const out: Record<string, unknown> = {};
      for (const k of [...keys].sort()) {
        const e = await store.readEntry(agentId, k);
        if (e) out[k] = e.value;
      }
      return out;
    },
    hydrateAgent,
    flushAgent: (agentId: string) => wb.flush((r) => r.agentId === assertAgentId(agentId)),
    flush: () => wb.flush(),
    get dirtyCount() { return wb.size; },
    lastSequence: async (agentId: string) => log.headOf(stateSubject(assertAgentId(agentId))),
    advance(agentId: string, fromSeq: number, toSeq: number) {
      const view = views.get(agentId);
      if (view && view.seq === fromSeq && toSeq > fromSeq) view.seq = toSeq;
    },
    async shared(bucket: 'session' | 'agentConfig' | 'queryCache'): Promise<SharedStateBucket> {
      const spec = topology.buckets[bucket];
      if (!spec) throw msError('INVALID_ARGUMENT', `unknown shared bucket ${JSON.stringify(bucket)}: use session, agentConfig or queryCache`);
      return openSharedBucket(await JetStreamKvStore.open(nats, spec.bucket), { writerId, clock, strategies: options.strategies, onConflict: notifyConflict });
    },
    onConflict(l: (n: ConflictNotice) => void) { conflictListeners.add(l); return () => conflictListeners.delete(l); },
    onFlush: (l: (r: FlushReport) => void) => wb.onFlush(l),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(pendingKv.values());
      const left = await wb.close();
      if (left > 0) logger.error({ rows: left }, 'rows not flushed at close; they are in JetStream and reach PostgreSQL at the next hydration or through the agent-state projection');
      await watch?.stop();
      await watchLoop;
    },
    [Symbol.asyncDispose]: () => store.close(),
  };
  return store;
}
