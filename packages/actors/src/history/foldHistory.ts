import { latestAgentSnapshot, subscribe, type AgentSnapshot, type DatabaseHandle, type EventLog } from '@mister-smith/core';
import { foldAgentState, isAtOrBefore, type FoldedState, type HistoryPoint, type PositionedEvent } from './foldAgentState.js';

/** Where a history fold reads from. */
export interface HistoryDeps {
  readonly log: EventLog;
  /** The archive (events the stream evicted) and the snapshots; without it only the stream is read. */
  readonly pg?: DatabaseHandle;
  /** Start from the latest snapshot at or before the point (default true; false: the whole history). */
  readonly useSnapshots?: boolean;
}

/** A fold of an agent's history and what it read. */
export interface HistoryFold extends FoldedState {
  readonly epoch: number;
  /** False when part of the range read is neither in the stream nor in the archive (or was pruned). */
  readonly complete: boolean;
  readonly sources: { readonly archive: number; readonly stream: number };
  /** The snapshot the fold started from, if any. */
  readonly snapshot?: AgentSnapshot;
}

/**
 * ARCHITECTURE decision 5, once: the state of an agent at `point` is its latest snapshot at or
 * before `point` plus the state events after it, from the PostgreSQL archive and then the stream.
 * `initial` applies when there is no snapshot (the type's initial state).
 */
export async function foldHistory(deps: HistoryDeps, agentId: string, point: HistoryPoint, initial: Readonly<Record<string, unknown>> = {}): Promise<HistoryFold> {
  const epoch = await deps.log.epoch();
  const snapshot = deps.pg && deps.useSnapshots !== false
    ? await latestAgentSnapshot(deps.pg.db, agentId, 'seq' in point ? { epoch, seq: point.seq } : { epoch, time: point.time })
    : undefined;
  const events: PositionedEvent[] = [];
  let complete = true;
  const sources = { archive: 0, stream: 0 };
  const sub = subscribe(deps.log, {
    agentId, families: ['state'], types: ['StateChanged', 'StateEditedInSql'],
    from: snapshot ? { after: { epoch, seq: snapshot.seq } } : 'start', ...(deps.pg ? { archive: deps.pg } : {}),
  });
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
  const folded = foldAgentState(snapshot ? snapshot.state : initial, events, point);
  if (snapshot && folded.events === 0) {
    return { ...folded, revision: snapshot.seq, ...(snapshot.time !== undefined ? { time: snapshot.time } : {}), epoch, complete, sources, snapshot };
  }
  return { ...folded, epoch, complete, sources, ...(snapshot ? { snapshot } : {}) };
}
