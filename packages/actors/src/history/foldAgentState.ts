import { asStateChanged, asStateEditedInSql, MisterSmithError, type EventEnvelope } from '@mister-smith/core';

/** One event of an agent's history with its stream position. */
export interface PositionedEvent {
  readonly seq: number;
  readonly event: EventEnvelope;
}

/** Where a history read stops: a stream sequence (revision) or a time. */
export type HistoryPoint = { readonly seq: number } | { readonly time: Date };

/** The state of an agent at a point of its history. */
export interface FoldedState {
  readonly state: Readonly<Record<string, unknown>>;
  /** Sequence of the last event folded (0 when none). */
  readonly revision: number;
  /** Time of that event (ISO-8601), if any. */
  readonly time?: string;
  readonly events: number;
}

/** Whether an event is at or before `point`. */
export function isAtOrBefore(e: PositionedEvent, point: HistoryPoint): boolean {
  return 'seq' in point ? e.seq <= point.seq : Date.parse(e.event.time) <= point.time.getTime();
}

/**
 * The one fold of an agent's history: the state after applying, in order, the `StateChanged` and
 * `StateEditedInSql` events at or before `point` to `initial` (a snapshot, or the type's initial
 * state). Pure. Every point-in-time read, fork and restore goes through it.
 */
export function foldAgentState(initial: Readonly<Record<string, unknown>>, events: Iterable<PositionedEvent>, point: HistoryPoint): FoldedState {
  const state: Record<string, unknown> = { ...initial };
  let revision = 0;
  let time: string | undefined;
  let n = 0;
  for (const e of events) {
    if (!isAtOrBefore(e, point)) break;
    try {
      if (e.event.type === 'StateChanged') {
        const d = asStateChanged(e.event).data;
        if (d.op === 'delete') delete state[d.key]; else state[d.key] = d.value;
      } else if (e.event.type === 'StateEditedInSql') {
        const d = asStateEditedInSql(e.event).data;
        if (d.operation === 'DELETE' || d.tombstone) delete state[d.state_key]; else state[d.state_key] = d.new_value;
      } else {
        continue;
      }
    } catch (err) {
      // A malformed event changed nothing anyone could read; the projection dead-letters it.
      if (!MisterSmithError.is(err, 'MALFORMED_EVENT')) throw err;
      continue;
    }
    revision = e.seq;
    time = e.event.time;
    n++;
  }
  return { state, revision, ...(time !== undefined ? { time } : {}), events: n };
}
