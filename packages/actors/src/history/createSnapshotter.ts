import type { HistoryDeps } from './foldHistory.js';
import { snapshotAgent, type SnapshotOutcome } from './snapshotAgent.js';

/** Default events between two snapshots of an agent (an agent type's `snapshotEvery` overrides it). */
export const DEFAULT_SNAPSHOT_EVERY = 200;

/** Takes an agent's snapshot every N of its events, in the background, one at a time per agent. */
export interface Snapshotter {
  /** Counts `events` new events of `agentId`; starts a snapshot once `every` have accumulated (0 disables). */
  noteEvents(agentId: string, events: number, every: number, initial: Readonly<Record<string, unknown>>): void;
  /** Waits for the snapshots in flight. */
  idle(): Promise<void>;
  /** Waits for the snapshots in flight and takes no more. */
  stop(): Promise<void>;
}

/**
 * The owner's snapshot schedule: it counts the state events each command appended and, every N,
 * folds the agent from its previous snapshot ({@link snapshotAgent}). Counts live in memory: after
 * a restart the next snapshot comes N events later and folds from the previous one, so a lost count
 * costs a longer fold, never a wrong state. Failures go to `onError` and the count is kept.
 */
export function createSnapshotter(deps: HistoryDeps & { readonly pg: NonNullable<HistoryDeps['pg']>; readonly onSnapshot?: (agentId: string, o: SnapshotOutcome) => void; readonly onError?: (agentId: string, e: unknown) => void }): Snapshotter {
  const counts = new Map<string, number>();
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;
  return {
    noteEvents(agentId, events, every, initial) {
      if (stopped || every <= 0 || events <= 0) return;
      const n = (counts.get(agentId) ?? 0) + events;
      counts.set(agentId, n);
      if (n < every || inFlight.has(agentId)) return;
      counts.set(agentId, 0);
      const p = snapshotAgent(deps, agentId, initial)
        .then((o) => deps.onSnapshot?.(agentId, o))
        .catch((e: unknown) => { counts.set(agentId, (counts.get(agentId) ?? 0) + n); deps.onError?.(agentId, e); })
        .finally(() => inFlight.delete(agentId));
      inFlight.set(agentId, p);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight.values()]);
    },
    async stop() {
      stopped = true;
      while (inFlight.size > 0) await Promise.all([...inFlight.values()]);
    },
  };
}
