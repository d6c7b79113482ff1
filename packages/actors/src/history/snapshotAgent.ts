import { writeAgentSnapshot, type AgentSnapshot } from '@mister-smith/core';
import { foldHistory, type HistoryDeps } from './foldHistory.js';

/** What {@link snapshotAgent} did. */
export interface SnapshotOutcome {
  /** The snapshot written, if any. */
  readonly snapshot?: AgentSnapshot;
  /** Events folded since the previous snapshot. */
  readonly folded: number;
  /** Why none was written: nothing new, or a hole in the history (never snapshot a guess). */
  readonly skipped?: 'up-to-date' | 'incomplete';
}

/**
 * Folds an agent's history from its latest snapshot to the stream's head ({@link foldHistory}) and
 * stores the result as a new snapshot. The cost is the events since the previous snapshot, so
 * taking one every N events keeps every later fold (hydration of history, `--at`, fork) at most N
 * events long.
 */
export async function snapshotAgent(deps: HistoryDeps & { readonly pg: NonNullable<HistoryDeps['pg']> }, agentId: string, initial: Readonly<Record<string, unknown>> = {}): Promise<SnapshotOutcome> {
  const f = await foldHistory(deps, agentId, { seq: Number.MAX_SAFE_INTEGER }, initial);
  if (!f.complete) return { folded: f.events, skipped: 'incomplete' };
  if (f.events === 0) return { folded: 0, skipped: 'up-to-date' };
  const snapshot: AgentSnapshot = {
    agentId, epoch: f.epoch, seq: f.revision, state: f.state, events: (f.snapshot?.events ?? 0) + f.events,
    ...(f.time !== undefined ? { time: f.time } : {}),
  };
  await writeAgentSnapshot(deps.pg.db, snapshot);
  return { snapshot, folded: f.events };
}
