import { CrdtError, crdtStoredAt, isCrdtChanges, parseStored, type ConflictStrategy, type CrdtStored, type HybridLogicalClock, type StoredValue, type WriteContext } from '@mister-smith/crdt';
import { agentKvKey } from '../config/identifiers.js';
import { MisterSmithError, msError } from '../errors/MisterSmithError.js';
import { compareVersions, type EventEnvelope, type StreamPosition } from '../events/EventEnvelope.js';
import type { EventLog } from '../eventlog/EventLog.js';
import type { KvStore } from '../kv/KvStore.js';
import type { StateMetrics } from '../observability/coreMetrics.js';
import { backoffMs } from '../util/backoffMs.js';
import { sleep } from '../util/sleep.js';
import type { AgentView } from './AgentViews.js';
import { decodeKvStateEntry } from './kvStateEntry.js';
import type { KvStateWriter } from './KvStateWriter.js';
import type { ReadThroughCache } from './ReadThroughCache.js';
import { reconcileWrite, storedFormOf, type Reconciled } from './reconcileWrite.js';
import type { RecoveredEntry } from './recoverFromStream.js';
import { asStateChanged, stateChanged, stateSubject } from './stateEvents.js';
import type { ConflictNotice, Durability, WriteOptions, WriteResult } from './StateStore.js';
import type { VersionedValue } from './VersionedValue.js';
import type { WriteBehind } from './WriteBehind.js';
import { flushCommitted } from './flushCommitted.js';
import { externalizeValue, resolveEntry, resolveEventValue, type Externalized, type LargeValueLimits, type LargeValueStore } from './largeValues.js';
import { storedForEvent } from './crdtEventStored.js';

/** The current Automerge document of `current` as it was at `heads`, if it holds one that contains them. */
function crdtBaseAt(current: VersionedValue, heads: readonly string[]): CrdtStored | undefined {
  const s = current.stored as { s?: unknown; doc?: unknown } | null;
  if (current.tombstone || !s || s.s !== 'crdt' || typeof s.doc !== 'string') return undefined;
  try {
    return crdtStoredAt(parseStored(s) as CrdtStored, heads);
  } catch (e) {
    if (CrdtError.is(e)) return undefined;
    throw e;
  }
}

const MAX_APPEND_ATTEMPTS = 40;
const NOT_YET = Symbol('not externalized yet');

/** The parts one write goes through (owned by the store; this function only uses them). */
export interface WritePath {
  readonly log: EventLog;
  readonly kv: KvStore;
  readonly cache: ReadThroughCache;
  readonly kvWriter: KvStateWriter;
  readonly writeBehind: WriteBehind;
  readonly metrics: StateMetrics;
  readonly clock: HybridLogicalClock;
  readonly writerId: string;
  readonly awaitKv: boolean;
  readonly durability: Durability;
  /** Where values over `limits.inlineBytes` go by reference (none: they travel inline). */
  readonly values: LargeValueStore | undefined;
  readonly limits: LargeValueLimits;
  /** The archived event at a position of the stream (see `StateStoreParts.archivedEvent`). */
  readonly archivedEvent: ((epoch: number, seq: number) => Promise<EventEnvelope | undefined>) | undefined;
  /** The agent's view, loaded (PostgreSQL + stream) when this process has none. */
  viewOf(agentId: string): Promise<AgentView>;
  /** Moves a view forward to the stream's head. */
  catchUp(agentId: string, view: AgentView): Promise<void>;
  reportConflict(n: ConflictNotice): void;
}

/** One write or delete of one key. */
export interface WriteRequest {
  readonly agentId: string;
  readonly key: string;
  readonly op: 'put' | 'delete';
  readonly input: unknown;
  readonly strategy: ConflictStrategy;
  readonly options: WriteOptions;
}

/**
 * Appends a key's change to `agents.state.<agentId>` with the agent's last sequence expected,
 * reconciling with whatever won when another writer appended first (bounded, jittered retries),
 * then moves KV, L1 and write-behind forward. Call it under the agent's lock. A resolved conflict
 * is reported once, after the write committed.
 */
export async function commitStateWrite(path: WritePath, req: WriteRequest): Promise<WriteResult> {
  const { agentId, key, op, input, strategy, options: opts } = req;
  const writer = opts.writer ?? path.writerId;
  const ctx: WriteContext = { writer, clock: path.clock };
  const kvKey = agentKvKey(agentId, key);
  const view = await path.viewOf(agentId);
  const fenced = opts.expectedLastSeq !== undefined;
  if (fenced && opts.expectedLastSeq! > view.seq) await path.catchUp(agentId, view);
  let cur: VersionedValue | undefined = view.entries.get(key);
  const base = cur && opts.base && compareVersions(cur, opts.base) > 0 ? await baseAt(path, agentId, key, opts.base, strategy, ctx, cur) : undefined;
  const incoming = op === 'delete' ? { op } as const : { op, input } as const;
  let r: Reconciled = reconcileWrite({ strategy, ctx, current: cur, base, incoming });
  let next = r.next;
  let conflict: ConflictNotice | undefined = r.conflict ? { agentId, key, strategy: strategy.name, writers: [writer], outcome: r.conflict } : undefined;
  // A value over the inline limit is stored once per distinct stored form (a lost race that
  // reconciles to another form stores that one); over the cap it is refused before anything is written.
  let ext: Externalized = {};
  let externalized: unknown = NOT_YET;
  for (let attempt = 1; ; attempt++) {
    const value = next === null ? null : strategy.read(next);
    if (externalized !== next) {
      ext = op === 'delete' ? {} : await externalizeValue(path.values, path.limits, agentId, key, value, next);
      externalized = next;
    }
    const command = opts.commandId !== undefined && opts.commandResult ? { commandId: opts.commandId, ...opts.commandResult } : undefined;
    // The event carries an Automerge document as the changes since `cur`, the version it follows
    // (by reference, the object holds the whole document and the event neither).
    const event = stateChanged(agentId, { key, op, value, stored: ext.ref ? next : storedForEvent(cur, next), ...(ext.ref ? { ref: ext.ref } : {}), strategy: strategy.name, writer, ...(opts.commandId ? { commandId: opts.commandId } : {}), ...(command ? { digest: command.digest, reply: command.reply } : {}) },
      { ...(opts.correlationId ? { correlationId: opts.correlationId } : {}), ...(opts.causationId ? { causationId: opts.causationId } : {}), ...(opts.traceparent ? { traceparent: opts.traceparent } : {}) });
    const expected = fenced ? opts.expectedLastSeq! : view.seq;
    try {
      let ack: StreamPosition;
      try {
        ack = await path.log.append(event, { expectedLastSubjectSeq: expected });
      } catch (e) {
        // A retry inside append may meet its own first attempt, which landed although its ack
        // was lost (a timeout): then this very event is the newest for the key, and appending
        // another would store the value twice.
        if (!MisterSmithError.is(e, 'SEQUENCE_CONFLICT')) throw e;
        await path.catchUp(agentId, view);
        const mine = view.entries.get(key) as RecoveredEntry | undefined;
        if (mine?.eventId !== event.id) throw e;
        ack = { epoch: mine.epoch, seq: mine.seq };
      }
      const entry: VersionedValue = { epoch: ack.epoch, seq: ack.seq, strategy: strategy.name, value, stored: next, ...(op === 'delete' ? { tombstone: true } : {}), ...(ext.ref ? { ref: ext.ref } : {}) };
      view.seq = Math.max(view.seq, ack.seq);
      view.entries.set(key, entry);
      const kvWrite = path.kvWriter.enqueue(view, key, kvKey, entry);
      if (path.awaitKv) await kvWrite;
      path.cache.remember(kvKey, entry);
      path.metrics.writes.inc({ strategy: strategy.name });
      if (conflict) path.reportConflict(conflict);
      path.writeBehind.add({ agentId, stateKey: key, ...entry });
      if (command) path.writeBehind.addCommand({ agentId, ...command, version: { epoch: ack.epoch, seq: ack.seq }, recordedAt: new Date(event.time) });
      if ((opts.durability ?? path.durability) === 'postgres') await flushCommitted(path.writeBehind, agentId, key, ack, (row) => row.agentId === agentId && row.stateKey === key);
      return { version: { epoch: ack.epoch, seq: ack.seq }, value: op === 'delete' ? undefined : value, merged: conflict !== undefined };
    } catch (e) {
      if (!MisterSmithError.is(e, 'SEQUENCE_CONFLICT')) throw e;
      // Another writer appended to this agent first: catch up from the stream, then reconcile.
      await path.catchUp(agentId, view);
      if (fenced) throw e;
      if (attempt >= MAX_APPEND_ATTEMPTS) {
        throw msError('RETRIES_EXHAUSTED', `write of ${agentId}/${key} lost ${attempt} append races in a row to other writers of this agent; route writes through the agent's owner`, { cause: e, details: { agentId, key, attempts: attempt } });
      }
      const latest = view.entries.get(key);
      if (latest && (!cur || compareVersions(cur, latest) < 0)) {
        cur = latest;
        if (next !== null) {
          r = reconcileWrite({ strategy, ctx, current: latest, base, incoming: { op: 'put', input, prepared: next } });
          next = r.next;
          if (r.conflict) {
            const from = (latest as RecoveredEntry).writer ?? 'unknown';
            const writers = [...new Set([...(conflict?.writers ?? [writer]), from])];
            conflict = { agentId, key, strategy: strategy.name, writers, outcome: r.conflict };
          }
        }
      }
      // Full jitter, growing: spreads competing writers so one of them wins each round.
      await sleep(backoffMs(attempt, { baseMs: 2, maxMs: 200, jitter: 'full' }));
    }
  }
}

/** The agent's event at `base`: from the stream when it still holds it, else from the archive. */
async function eventAt(path: WritePath, agentId: string, base: StreamPosition): Promise<EventEnvelope | undefined> {
  if (base.epoch === await path.log.epoch()) {
    for await (const item of path.log.read({ filter: stateSubject(agentId), from: { seq: base.seq }, toSeq: base.seq })) {
      if (item.kind === 'event' && item.record.seq === base.seq) return item.record.event;
    }
    // Another agent's event is never this agent's base; only an evicted position is worth the archive.
    if (base.seq >= (await path.log.bounds()).firstSeq) return undefined;
  }
  try {
    return await path.archivedEvent?.(base.epoch, base.seq);
  } catch (err) {
    if (MisterSmithError.is(err, 'MALFORMED_EVENT')) return undefined;
    throw err;
  }
}

/**
 * The stored form of the version a command was based on: from the key's KV history (5 revisions),
 * else from the event at that position in the stream, else (evicted from the stream, or an earlier
 * stream incarnation) from the PostgreSQL archive. A base found nowhere (older than all of them, or
 * not a version of this key) is BASE_UNAVAILABLE: merging against a guess, or overwriting as if
 * there were no base, would silently drop the writes made since.
 */
async function baseAt(path: WritePath, agentId: string, key: string, base: StreamPosition, strategy: ConflictStrategy, ctx: WriteContext, current: VersionedValue): Promise<StoredValue | undefined> {
  const kvKey = agentKvKey(agentId, key);
  for (const h of (await path.kv.history(kvKey)).reverse()) {
    if (h.operation !== 'PUT') continue;
    try {
      const e = decodeKvStateEntry(kvKey, h.value);
      if (e.epoch === base.epoch && e.seq === base.seq) return storedFormOf(strategy, await resolveEntry(path.values, e, `KV entry ${kvKey}`), ctx);
    } catch { /* an unreadable old revision cannot be the base */ }
  }
  const event = Number.isSafeInteger(base.seq) && base.seq > 0 ? await eventAt(path, agentId, base) : undefined;
  if (event) {
    try {
      const e = asStateChanged(await resolveEventValue(path.values, event));
      if (e.agentId === agentId && e.data.key === key && e.data.op === 'put') {
        // An Automerge event carries changes: the base is the current document as it was at the
        // heads the event ended at (the current version contains them).
        const stored = isCrdtChanges(e.data.stored) ? crdtBaseAt(current, e.data.stored.heads) : e.data.stored;
        if (stored !== undefined) return storedFormOf(strategy, { epoch: base.epoch, seq: base.seq, strategy: e.data.strategy, value: e.data.value, stored }, ctx);
      }
    } catch (err) {
      // Not a state event, or (archived long ago) its large value has expired: not a usable base.
      if (!MisterSmithError.is(err, 'MALFORMED_EVENT') && !MisterSmithError.is(err, 'NOT_FOUND')) throw err;
    }
  }
  throw msError('BASE_UNAVAILABLE', `the base version (epoch ${base.epoch}, seq ${base.seq}) of ${agentId}/${key} is neither in the key's KV history nor a write of this key in the stream or its archive: read the key again and retry with its current version`, {
    details: { agentId, key, base: { epoch: base.epoch, seq: base.seq } },
  });
}
