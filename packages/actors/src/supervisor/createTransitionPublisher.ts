import { lifecycleChanged, type EventLog, type Logger } from '@mister-smith/core';
import type { LifecycleTransition } from '../host/AgentHost.js';

/** Publishes lifecycle transitions without blocking the agents, and drains them on shutdown. */
export interface TransitionPublisher {
  publish(t: LifecycleTransition): void;
  /** Transitions whose append failed (logged with the error). */
  readonly failures: number;
  /** Resolves once every publish started so far is acknowledged or failed. */
  drain(): Promise<void>;
}

/**
 * Appends `AgentLifecycleChanged` to `agents.lifecycle.<agentId>` for each transition. Appends
 * are pipelined (a machine must not wait on NATS inside an action); failures are logged and
 * counted, never thrown into the agent.
 */
export function createTransitionPublisher(log: EventLog, logger: Logger, onFailure?: (e: unknown) => void): TransitionPublisher {
  const inflight = new Set<Promise<void>>();
  let failures = 0;
  return {
    publish(t) {
      const p: Promise<void> = log.append(lifecycleChanged(t.agentId, { from: t.from, to: t.to, reason: t.reason, agentType: t.agentType, supervisorId: t.supervisorId }))
        .then(() => undefined, (e: unknown) => {
          failures++;
          logger.error({ err: e, agentId: t.agentId, from: t.from, to: t.to }, 'could not publish a lifecycle transition');
          onFailure?.(e);
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    },
    get failures() { return failures; },
    async drain() {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
  };
}
