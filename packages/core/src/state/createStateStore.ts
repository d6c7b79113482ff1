import { randomBytes } from 'node:crypto';
import { HybridLogicalClock, resolveStrategy, strategyFor, validateStrategySpec, type ConflictStrategy } from '@mister-smith/crdt';
import { assertAgentId, assertStateKey } from '../config/identifiers.js';
import { msError } from '../errors/MisterSmithError.js';
import { agentKvKey } from '../config/identifiers.js';
import { createRegistry, stateMetrics } from '../observability/coreMetrics.js';
import { silentLogger } from '../observability/createLogger.js';
import { AgentViews, type AgentView } from './AgentViews.js';
import { commitStateWrite, type WritePath } from './commitStateWrite.js';
import { hydrateAgentState } from './hydrateAgentState.js';
import { recordCommandResult } from './recordCommandResult.js';
import type { CommandRecord } from '../commands/CommandResult.js';
import { KeyedMutex } from './KeyedMutex.js';
import { JetStreamEventLog } from '../eventlog/JetStreamEventLog.js';
import { largeValueLimits } from './largeValues.js';
import { resolvingEventLog } from './resolvingEventLog.js';
import { KvStateWriter } from './KvStateWriter.js';
import { catchUpView, loadAgentView, type HydrationPhase } from './loadAgentView.js';
import { BatchedAgentLoader } from './BatchedAgentLoader.js';
import { openSharedBucket } from './openSharedBucket.js';
import { openStateStoreParts, type StateStoreDeps } from './openStateStoreParts.js';
import { ReadThroughCache } from './ReadThroughCache.js';
import { stateSubject, type StrategyName } from './stateEvents.js';
import type { ConflictNotice, FlushReport, SharedStateBucket, StateEntry, StateStore, StateStoreOptions, WriteOptions, WriteResult } from './StateStore.js';
import type { SharedBucketName, StateStoreParts } from './StateStoreParts.js';
import { WriteBehind } from './WriteBehind.js';

export type { StateStoreDeps } from './openStateStoreParts.js';

/**
 * Opens the hybrid state plane: on a provisioned topology and migrated database (`{ nats, pg,
 * topology }`), or on injected parts (`{ log, kv, repository, openSharedBucket }`, e.g. in-memory
 * ones in unit tests). The store is a facade: writes go through `commitStateWrite`, reads through
 * the read-through cache, hydration through `hydrateAgentState`, PostgreSQL through write-behind.
 *
 * @example
 * const store = await createStateStore({ nats, pg, topology });
 * await store.write('agent-1', 'count', 1);
 * await store.read('agent-1', 'count'); // 1
 * await store.close();
 */
export async function createStateStore(deps: StateStoreDeps | StateStoreParts, options: StateStoreOptions = {}): Promise<StateStore & { onFlush(l: (r: FlushReport) => void): () => void }> {
  const cacheOptions = validCacheOptions(options.cache);
  const parts = 'repository' in deps ? deps : await openStateStoreParts(deps);
  const { kv, repository, values } = parts;
  const limits = largeValueLimits(options.largeValues);
  // Reads of the log yield values by reference in place (JetStreamEventLog does it on its own).
  const log = values && !(parts.log instanceof JetStreamEventLog) ? resolvingEventLog(parts.log, values) : parts.log;
  const logger = parts.logger ?? silentLogger();
  const metrics = stateMetrics(parts.registry ?? createRegistry());
  if (options.strategies) validateStrategySpec(options.strategies);
  const writerId = options.writerId ?? `w-${randomBytes(4).toString('hex')}`;
  const clock = new HybridLogicalClock(writerId);
  await log.epoch();
  const locks = new KeyedMutex();
  const views = new AgentViews(cacheOptions.maxAgents);
  const conflictListeners = new Set<(n: ConflictNotice) => void>();
  const flushThreshold = options.flushThreshold ?? 50;
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const writeBehind = new WriteBehind(repository, { threshold: flushThreshold, intervalMs: flushIntervalMs, logger, metrics });
  const kvWriter = new KvStateWriter(kv, logger, (kvKey, bytes) => cache.ownWrite(kvKey, bytes));
  // Concurrent hydrations and readAlls share one `agent_id = ANY($1)` statement.
  const rows = new BatchedAgentLoader(repository);
  const phaseTimers = {
    pg: metrics.hydrationPhase.labels('pg'), stream: metrics.hydrationPhase.labels('stream'), apply: metrics.hydrationPhase.labels('apply'),
    flush: metrics.hydrationPhase.labels('flush'), kv: metrics.hydrationPhase.labels('kv'),
  };
  const observe = (phase: HydrationPhase, seconds: number) => phaseTimers[phase].observe(seconds);
  const cache = await ReadThroughCache.open(kv, repository, {
    maxEntries: cacheOptions.maxEntries, ttlMs: cacheOptions.ttlMs, watch: options.watch !== false, logger, metrics, pendingWrite: (k) => kvWriter.pending(k), values, limits,
  });
  let closed = false;

  const strategyOf = (key: string, choice?: StrategyName | ConflictStrategy): ConflictStrategy =>
    choice === undefined ? resolveStrategy(options.strategies, key) : typeof choice === 'string' ? strategyFor(choice) : choice;

  function reportConflict(n: ConflictNotice): void {
    metrics.conflicts.inc({ strategy: n.strategy, outcome: n.outcome });
    logger.info({ agentId: n.agentId, key: n.key, strategy: n.strategy, writers: n.writers, outcome: n.outcome }, 'conflict resolved');
    for (const l of conflictListeners) l(n);
  }

  async function catchUp(agentId: string, view: AgentView): Promise<void> {
    for (const key of await catchUpView(log, agentId, view)) cache.forget(agentKvKey(agentId, key));
  }

  const writePath: WritePath = {
    log, kv, cache, kvWriter, writeBehind, metrics, clock, writerId,
    awaitKv: options.kvWrite !== 'background',
    durability: options.durability ?? 'jetstream',
    values, limits, archivedEvent: parts.archivedEvent,
    async viewOf(agentId) {
      const known = views.get(agentId);
      if (known) return known;
      const { view } = await loadAgentView(rows, log, agentId);
      views.set(agentId, view);
      return view;
    },
    catchUp,
    reportConflict,
  };

  async function commit(agentId: string, key: string, op: 'put' | 'delete', input: unknown, opts: WriteOptions): Promise<WriteResult> {
    if (closed) throw msError('CLOSED', 'the state store is closed');
    assertAgentId(agentId);
    assertStateKey(key, { allowReserved: opts.reserved === true });
    const strategy = strategyOf(key, opts.strategy);
    return locks.run(agentId, () => commitStateWrite(writePath, { agentId, key, op, input, strategy, options: opts }));
  }

  const store = {
    write: (agentId: string, key: string, input: unknown, opts: WriteOptions = {}) => commit(agentId, key, 'put', input, opts),
    delete: (agentId: string, key: string, opts: WriteOptions = {}) => commit(agentId, key, 'delete', undefined, opts),
    async read(agentId: string, key: string) {
      assertAgentId(agentId);
      assertStateKey(key, { allowReserved: true });
      const c = await cache.get(agentId, key);
      return c && !c.tombstone ? c.value : undefined;
    },
    async readEntry(agentId: string, key: string): Promise<StateEntry | undefined> {
      assertAgentId(agentId);
      assertStateKey(key, { allowReserved: true });
      const c = await cache.get(agentId, key);
      if (!c || c.tombstone) return undefined;
      return { agentId, key, value: c.value, version: { epoch: c.epoch, seq: c.seq }, strategy: c.strategy, source: c.source };
    },
    async readAll(agentId: string) {
      assertAgentId(agentId);
      // The source of truth in two concurrent round trips: PostgreSQL's rows (batched with other
      // loads) and the stream's head, plus the tail after PostgreSQL's newest row when there is one.
      const { view } = await loadAgentView(rows, log, agentId);
      const out: Record<string, unknown> = {};
      for (const k of [...view.entries.keys()].sort()) {
        const e = view.entries.get(k)!;
        if (!e.tombstone) out[k] = e.value;
      }
      return out;
    },
    async hydrateAgent(agentId: string) {
      assertAgentId(agentId);
      return locks.run(agentId, () => hydrateAgentState({ rows, log, kv, views, cache, writeBehind, values, limits, observe }, agentId));
    },
    async recordCommand(agentId: string, record: CommandRecord, opts: Pick<WriteOptions, 'writer' | 'expectedLastSeq' | 'durability'> = {}) {
      if (closed) throw msError('CLOSED', 'the state store is closed');
      assertAgentId(agentId);
      return locks.run(agentId, () => recordCommandResult(writePath, agentId, record, opts));
    },
    flushAgent: (agentId: string) => writeBehind.flush((r) => r.agentId === assertAgentId(agentId)),
    flush: () => writeBehind.flush(),
    setFlushPolicy(agentId: string, policy: { readonly threshold?: number; readonly intervalMs?: number } | undefined) {
      assertAgentId(agentId);
      writeBehind.setPolicy(agentId, policy && { threshold: policy.threshold ?? flushThreshold, intervalMs: policy.intervalMs ?? flushIntervalMs });
    },
    get dirtyCount() { return writeBehind.size; },
    lastSequence: async (agentId: string) => log.headOf(stateSubject(assertAgentId(agentId))),
    advance(agentId: string, fromSeq: number, toSeq: number) {
      const view = views.get(agentId);
      if (view && view.seq === fromSeq && toSeq > fromSeq) view.seq = toSeq;
    },
    async shared(bucket: SharedBucketName): Promise<SharedStateBucket> {
      return openSharedBucket(await parts.openSharedBucket(bucket), { writerId, clock, strategies: options.strategies, onConflict: reportConflict });
    },
    onConflict(l: (n: ConflictNotice) => void) { conflictListeners.add(l); return () => conflictListeners.delete(l); },
    onFlush: (l: (r: FlushReport) => void) => writeBehind.onFlush(l),
    async close() {
      if (closed) return;
      closed = true;
      await kvWriter.drain();
      const left = await writeBehind.close();
      if (left > 0) logger.error({ rows: left }, 'rows not flushed at close; they are in JetStream and reach PostgreSQL at the next hydration or through the agent-state projection');
      await cache.close();
    },
    [Symbol.asyncDispose]: () => store.close(),
  };
  return store;
}

/** The cache options with their defaults; INVALID_CONFIG for a count that is not a whole number >= 0 or a TTL < 1 ms. */
function validCacheOptions(cache: StateStoreOptions['cache']): { maxEntries: number; ttlMs: number; maxAgents: number } {
  const checked = { maxEntries: cache?.maxEntries ?? 10_000, ttlMs: cache?.ttlMs ?? 30_000, maxAgents: cache?.maxAgents ?? 10_000 };
  for (const [name, v] of Object.entries(checked)) {
    const least = name === 'ttlMs' ? 1 : 0;
    if (!Number.isSafeInteger(v) || v < least) throw msError('INVALID_CONFIG', `cache.${name} must be an integer >= ${least}, got ${String(v)}`);
  }
  return checked;
}
