import { msError, subscribe, type DatabaseHandle, type EventLog } from '@mister-smith/core';
import { userStateOf } from '../runtime/RuntimeState.js';
import { foldAgentState, isAtOrBefore, type HistoryPoint, type PositionedEvent } from './foldAgentState.js';

/** The state of an agent as of a revision or a time. */
export interface AgentStateAt {
  readonly agentId: string;
  /** The revision asked for (`seq`) or the time (ISO-8601). */
  readonly at: string;
  /** Sequence of the last event at or before that point (0: nothing yet). */
  readonly revision: number;
  readonly time?: string;
  readonly state: Readonly<Record<string, unknown>>;
  /** False when part of the history is neither in the stream nor in the archive (the state may lack those events). */
  readonly complete: boolean;
  /** Events folded from the PostgreSQL archive and from the stream. */
  readonly sources: { readonly archive: number; readonly stream: number };
}

/** Parses `--at`: a stream sequence (revision) or an ISO-8601 time. */
export function parseHistoryPoint(at: string | number): HistoryPoint {
  if (typeof at === 'number' || /^\d+$/.test(at)) {
    const seq = Number(at);
    if (!Number.isSafeInteger(seq) || seq < 0) throw msError('INVALID_ARGUMENT', `a revision is a non-negative stream sequence, got ${JSON.stringify(at)}`);
    return { seq };
  }
  const t = Date.parse(at);
  if (!Number.isFinite(t)) throw msError('INVALID_ARGUMENT', `--at takes a revision (stream sequence) or an ISO-8601 time, got ${JSON.stringify(at)}`, { details: { at } });
  return { time: new Date(t) };
}

/**
 * Reads an agent's history (PostgreSQL archive for what the stream evicted, then the stream) up to
 * `at` and folds it with {@link foldAgentState} over `initial`. Framework keys (`_runtime`) are left out.
 *
 * @example
 * const past = await readAgentAt({ log: stack.logs.agentState, pg: stack.pg }, 'c1', '2026-05-01T12:00:00Z', { count: 0 });
 */
export async function readAgentAt(deps: { readonly log: EventLog; readonly pg?: DatabaseHandle }, agentId: string, at: string | number, initial: Readonly<Record<string, unknown>> = {}): Promise<AgentStateAt> {
  const point = parseHistoryPoint(at);
  const events: PositionedEvent[] = [];
  let complete = true;
  const sources = { archive: 0, stream: 0 };
  const sub = subscribe(deps.log, { agentId, families: ['state'], types: ['StateChanged', 'StateEditedInSql'], from: 'start', ...(deps.pg ? { archive: deps.pg } : {}) });
  try {
    for await (const item of sub) {
      if (item.kind === 'caught-up') break;
      if (item.kind === 'gap') { complete = false; continue; }
      if (item.kind !== 'event') continue;
      const e = { seq: item.record.seq, event: item.record.event };
      if (!isAtOrBefore(e, point)) break;
      events.push(e);
      sources[item.source]++;
    }
  } finally {
    await sub.stop();
  }
  const folded = foldAgentState(initial, events, point);
  return {
    agentId, at: 'seq' in point ? String(point.seq) : point.time.toISOString(), revision: folded.revision,
    ...(folded.time !== undefined ? { time: folded.time } : {}), state: userStateOf(folded.state), complete, sources,
  };
}
