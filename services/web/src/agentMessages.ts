import type { ChangeMessage, EventEnvelopeView, LifecycleMessage, OtherEventMessage, SyncEventName } from '@mister-smith/client';
import type { AgentLifecycleChangedData, RecordedEvent, StateChangedData, StateEditedInSqlData } from '@mister-smith/core';

/** One message of the sync stream before it is written: its SSE event name and JSON body. */
export interface SyncMessage {
  readonly name: SyncEventName;
  readonly body: unknown;
  /** Which family it advances the cursor of. */
  readonly family: 'state' | 'lifecycle';
  readonly seq: number;
}

/** What a state event does to one key; undefined for events that change no key. */
export interface KeyChange {
  readonly key: string;
  readonly op: 'put' | 'delete';
  readonly value: unknown;
  /** The strategy the event names; undefined for an SQL edit (it keeps the key's). */
  readonly strategy: string | undefined;
}

/**
 * The key a state event changes, as the agent-state projection reads it: `StateChanged` puts or
 * deletes with its strategy; `StateEditedInSql` puts the new value (or deletes) and keeps the
 * key's strategy. `OwnershipAcquired` and anything else change no key.
 */
export function keyChangeOf(r: RecordedEvent): KeyChange | undefined {
  const e = r.event;
  if (e.type === 'StateChanged') {
    const d = e.data as StateChangedData;
    return { key: d.key, op: d.op, value: d.op === 'delete' ? null : d.value, strategy: d.strategy };
  }
  if (e.type === 'StateEditedInSql') {
    const d = e.data as StateEditedInSqlData;
    const del = d.operation === 'DELETE' || d.tombstone === true;
    return { key: d.state_key, op: del ? 'delete' : 'put', value: del ? null : d.new_value, strategy: undefined };
  }
  return undefined;
}

/** The message of one recorded event of the agent (`change`, `lifecycle` or `event`). */
export function messageOf(r: RecordedEvent, epoch: number, family: 'state' | 'lifecycle', strategyOf: (key: string) => string): SyncMessage {
  const event = r.event as unknown as EventEnvelopeView;
  if (family === 'lifecycle' && r.event.type === 'AgentLifecycleChanged') {
    const d = r.event.data as AgentLifecycleChangedData;
    const body: LifecycleMessage = { seq: r.seq, epoch, from: d.from, to: d.to, reason: d.reason, agentType: d.agentType, supervisorId: d.supervisorId, event };
    return { name: 'lifecycle', body, family, seq: r.seq };
  }
  const change = family === 'state' ? keyChangeOf(r) : undefined;
  if (change) {
    const body: ChangeMessage = { seq: r.seq, epoch, key: change.key, op: change.op, value: change.value, strategy: change.strategy ?? strategyOf(change.key), event };
    return { name: 'change', body, family, seq: r.seq };
  }
  const body: OtherEventMessage = { seq: r.seq, epoch, event };
  return { name: 'event', body, family, seq: r.seq };
}
