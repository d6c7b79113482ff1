import { msError, type DatabaseHandle, type EventLog } from '@mister-smith/core';
import { userStateOf } from '../runtime/RuntimeState.js';
import type { HistoryPoint } from './foldAgentState.js';
import { foldHistory } from './foldHistory.js';

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
  /** Revision of the snapshot the fold started from (absent: it folded from the first event). */
  readonly snapshot?: number;
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
 * Reads an agent's history up to `at` with {@link foldHistory}: its latest snapshot at or before
 * `at`, then the PostgreSQL archive (what the stream evicted) and the stream, folded over `initial`
 * when there is no snapshot. Framework keys (`_runtime`) are left out.
 *
 * @example
 * const past = await readAgentAt({ log: stack.logs.agentState, pg: stack.pg }, 'c1', '2026-05-01T12:00:00Z', { count: 0 });
 */
export async function readAgentAt(deps: { readonly log: EventLog; readonly pg?: DatabaseHandle; readonly useSnapshots?: boolean }, agentId: string, at: string | number, initial: Readonly<Record<string, unknown>> = {}): Promise<AgentStateAt> {
  const point = parseHistoryPoint(at);
  const folded = await foldHistory(deps, agentId, point, initial);
  return {
    agentId, at: 'seq' in point ? String(point.seq) : point.time.toISOString(), revision: folded.revision,
    ...(folded.time !== undefined ? { time: folded.time } : {}), state: userStateOf(folded.state), complete: folded.complete, sources: folded.sources,
    ...(folded.snapshot ? { snapshot: folded.snapshot.seq } : {}),
  };
}
