import type { FlushReport, StateStore } from '@mister-smith/core';

/** Coalesces agents' flush requests into shared state-store flushes. */
export interface FlushCoalescer {
  /** Resolves once a flush that started after this call has written the agent's dirty rows. */
  flush(agentId: string): Promise<FlushReport>;
}

/**
 * The state store writes one transaction per flush and runs one flush at a time, so a thousand
 * agents passivating together would queue a thousand transactions. Requests made while no
 * flush is pending are gathered for one tick: a single agent gets `flushAgent`, several get one
 * `flush()` (every dirty row, in one transaction), which covers each of them.
 */
export function createFlushCoalescer(store: StateStore): FlushCoalescer {
  let next: { agents: Set<string>; promise: Promise<FlushReport> } | undefined;
  return {
    flush(agentId) {
      if (!next) {
        const agents = new Set<string>();
        const promise = new Promise<FlushReport>((resolve, reject) => {
          setImmediate(() => {
            next = undefined;
            const only = agents.size === 1 ? [...agents][0] : undefined;
            (only !== undefined ? store.flushAgent(only) : store.flush()).then(resolve, reject);
          });
        });
        next = { agents, promise };
      }
      next.agents.add(agentId);
      return next.promise;
    },
  };
}
