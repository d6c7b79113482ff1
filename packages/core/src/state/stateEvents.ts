import { assertAgentId, assertStateKey } from '../config/identifiers.js';
import { msError } from '../errors/MisterSmithError.js';
import { createEvent } from '../events/createEvent.js';
import { compactStored, expandStored } from './compactStored.js';
import type { Event, EventEnvelope } from '../events/EventEnvelope.js';
import type { RecordedReply } from '../commands/CommandResult.js';
import { isLargeValueRef, type LargeValueRef } from './largeValues.js';

/** Conflict strategy names, as stored with every value. */
export type StrategyName = 'lww' | 'vclock' | 'crdt';

/** Data of `StateChanged`: one key of one agent was written or deleted (subject `agents.state.<agentId>`). */
export interface StateChangedData {
  readonly key: string;
  readonly op: 'put' | 'delete';
  /** The user-visible value (null for a delete). Absent on the wire when `ref` is set (see `resolveEventValue`). */
  readonly value: unknown;
  /**
   * The strategy's stored form (HLC stamp, vector clock), null for a delete. For `crdt` it is not
   * the document but the Automerge changes of this write, `{ s: 'crdt', changes, since, heads }`
   * (`CrdtChanges`): the changes since the key's version before this event (`since`, its heads;
   * empty when they are the whole document). A reader applies them to its previous version of the
   * key with `storedFromEvent`; KV entries and PostgreSQL rows hold the whole document. Absent on
   * the wire with `ref` (the object then holds the whole document).
   */
  readonly stored: unknown;
  /**
   * A value over the inline limit travels by reference: the object of the LARGE_VALUES Object Store
   * that holds `{ value, stored }`. Readers get events with the value in place (the event log's
   * reads, projections and the archive resolve it); the reference stays beside it.
   */
  readonly ref?: LargeValueRef;
  readonly strategy: StrategyName;
  /** Who wrote it: a supervisor, agent, CLI or API client id. */
  readonly writer: string;
  /** Client command id the owner deduplicates on. */
  readonly commandId?: string;
  /** On the command's last write only: the digest of its name and payload (see `commandDigest`). */
  readonly digest?: string;
  /** On the command's last write only: its reply, recorded with the effect (durable dedup). */
  readonly reply?: RecordedReply;
}

/** Data of `OwnershipAcquired`: a supervisor took the agent's lease (fences off the previous owner). */
export interface OwnershipAcquiredData {
  readonly supervisorId: string;
  readonly leaseRevision: number;
}

/** Data of `StateEditedInSql`: an edit made directly in PostgreSQL, published by the bridge. */
export interface StateEditedInSqlData {
  readonly operation: 'INSERT' | 'UPDATE' | 'DELETE';
  readonly agent_id: string;
  readonly state_key: string;
  readonly old_value: unknown;
  readonly new_value: unknown;
  readonly tombstone?: boolean;
  readonly version: number;
  readonly version_epoch?: number;
  readonly timestamp: number;
}

export type StateChanged = Event<'StateChanged', StateChangedData>;
export type OwnershipAcquired = Event<'OwnershipAcquired', OwnershipAcquiredData>;
export type StateEditedInSql = Event<'StateEditedInSql', StateEditedInSqlData>;
/** Every event type on `agents.state.<agentId>`. */
export type AgentStateEvent = StateChanged | OwnershipAcquired | StateEditedInSql;

/** The logical subject of an agent's state events. */
export function stateSubject(agentId: string): string {
  return `agents.state.${assertAgentId(agentId)}`;
}

/** Builds a `StateChanged` event. */
export function stateChanged(agentId: string, data: StateChangedData, extra: { correlationId?: string; causationId?: string; traceparent?: string } = {}): StateChanged {
  assertStateKey(data.key, { allowReserved: true });
  if (data.ref) {
    // By reference: the object holds the value and its stored form; the event carries neither.
    const { value: _v, stored: _s, ...rest } = data;
    return createEvent({ type: 'StateChanged', subject: stateSubject(agentId), agentId, data: rest as StateChangedData, ...extra });
  }
  // The value is carried once: the stored form leaves out its copy (asStateChanged puts it back).
  const stored = compactStored(data.value, data.stored);
  return createEvent({ type: 'StateChanged', subject: stateSubject(agentId), agentId, data: stored === data.stored ? data : { ...data, stored }, ...extra });
}

/** Builds an `OwnershipAcquired` event. */
export function ownershipAcquired(agentId: string, data: OwnershipAcquiredData): OwnershipAcquired {
  return createEvent({ type: 'OwnershipAcquired', subject: stateSubject(agentId), agentId, data });
}

const STRATEGIES: ReadonlySet<string> = new Set(['lww', 'vclock', 'crdt']);

/** Narrows a decoded envelope to a valid `StateChanged`; MALFORMED_EVENT names what is wrong. */
export function asStateChanged(e: EventEnvelope): StateChanged {
  const d = e.data as Partial<StateChangedData> | null;
  const bad = (why: string) => msError('MALFORMED_EVENT', `StateChanged ${e.id}: ${why}`, { details: { id: e.id, reason: why } });
  if (e.type !== 'StateChanged') throw bad(`type is ${e.type}`);
  if (typeof e.agentId !== 'string') throw bad('agentId missing');
  assertAgentId(e.agentId);
  if (!d || typeof d !== 'object') throw bad('data is not an object');
  if (typeof d.key !== 'string') throw bad('key missing');
  assertStateKey(d.key, { allowReserved: true });
  if (d.op !== 'put' && d.op !== 'delete') throw bad(`op must be put or delete, got ${JSON.stringify(d.op)}`);
  if (typeof d.strategy !== 'string' || !STRATEGIES.has(d.strategy)) throw bad(`unknown strategy ${JSON.stringify(d.strategy)}`);
  if (typeof d.writer !== 'string') throw bad('writer missing');
  if (d.ref !== undefined) {
    if (!isLargeValueRef(d.ref)) throw bad('ref is not a large-value reference (object, size, digest)');
    // Unresolved (value and stored in the Object Store) or resolved (both in place): as it is.
    if (!('value' in d)) return e as StateChanged;
  }
  if (d.op === 'put' && !('value' in d)) throw bad('put without value');
  const stored = expandStored(d.value, d.stored);
  return (stored === d.stored ? e : { ...e, data: { ...d, stored } }) as StateChanged;
}

/** Narrows a decoded envelope to a valid `StateEditedInSql`. */
export function asStateEditedInSql(e: EventEnvelope): StateEditedInSql {
  const d = e.data as Partial<StateEditedInSqlData> | null;
  const bad = (why: string) => msError('MALFORMED_EVENT', `StateEditedInSql ${e.id}: ${why}`, { details: { id: e.id, reason: why } });
  if (!d || typeof d !== 'object') throw bad('data is not an object');
  if (d.operation !== 'INSERT' && d.operation !== 'UPDATE' && d.operation !== 'DELETE') throw bad('operation must be INSERT, UPDATE or DELETE');
  assertAgentId(d.agent_id);
  assertStateKey(d.state_key, { allowReserved: true });
  return e as StateEditedInSql;
}
