import { lifecycleChanged, type AgentLifecycleChanged, type EventLog, type Logger } from '@mister-smith/core';
import { backoffMs, sleep } from '@mister-smith/core/util';
import type { LifecycleTransition } from '../host/AgentHost.js';

/** Publishes lifecycle transitions without blocking the agents, and drains them on shutdown. */
export interface TransitionPublisher {
  publish(t: LifecycleTransition): void;
  /** Transitions whose append failed after the bounded retries (logged with the error). */
  readonly failures: number;
  /** Agents whose latest transition is not in the stream yet (the repair keeps trying). */
  readonly unrepaired: number;
  /** Resolves once every publish started so far is acknowledged or failed; tries the repairs once more and stops the repair timer. */
  drain(): Promise<void>;
}

/** Tuning of the publisher. */
export interface TransitionPublisherOptions {
  /** Attempts of one append before the transition waits for the repair (default 4). */
  readonly maxAttempts?: number;
  /** Backoff between those attempts, ms: first and ceiling (default 100 and 2000). */
  readonly retryMs?: readonly [number, number];
  /** How often failed transitions are appended again (default 5000 ms). */
  readonly repairIntervalMs?: number;
  readonly onFailure?: (e: unknown) => void;
}

/**
 * Appends `AgentLifecycleChanged` to `agents.lifecycle.<agentId>` for each transition, without
 * making a machine wait on NATS. The appends of one agent run one after the other (so a retry
 * never lands behind a later transition and the registry never goes back), different agents in
 * parallel. A failed append is retried with a bound, with the same event id (a retried append
 * whose first attempt landed is deduplicated); when it still fails, the agent's latest transition
 * is kept and appended again every `repairIntervalMs` until it lands, unless a later transition of
 * the agent lands first (it carries the truth). So the registry, which the agent-registry
 * projection builds from these events, converges on each agent's real lifecycle.
 */
export function createTransitionPublisher(log: EventLog, logger: Logger, options: TransitionPublisherOptions = {}): TransitionPublisher {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const [retryFirst, retryCeiling] = options.retryMs ?? [100, 2000];
  const repairIntervalMs = options.repairIntervalMs ?? 5000;
  const chains = new Map<string, Promise<void>>();
  /** The latest transition of each agent that is not in the stream, by agent. */
  const unrepaired = new Map<string, AgentLifecycleChanged>();
  let failures = 0;
  let repairTimer: NodeJS.Timeout | undefined;

  /** Runs `step` after everything queued for the agent. */
  const enqueue = (agentId: string, step: () => Promise<void>): Promise<void> => {
    const p = (chains.get(agentId) ?? Promise.resolve()).then(step);
    chains.set(agentId, p);
    void p.finally(() => { if (chains.get(agentId) === p) chains.delete(agentId); });
    return p;
  };

  const appendWithRetry = async (event: AgentLifecycleChanged, attempts: number): Promise<unknown> => {
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await log.append(event);
        return undefined;
      } catch (e) {
        last = e;
        if (attempt < attempts) await sleep(backoffMs(attempt, { baseMs: retryFirst, maxMs: retryCeiling, jitter: 'equal' }));
      }
    }
    return last ?? new Error('append failed');
  };

  const scheduleRepair = () => {
    if (repairTimer || unrepaired.size === 0) return;
    repairTimer = setTimeout(() => { repairTimer = undefined; void repairAll().finally(scheduleRepair); }, repairIntervalMs);
    repairTimer.unref();
  };

  /** Appends each agent's failed latest transition again (one attempt each, in the agent's order). */
  const repairAll = async (): Promise<void> => {
    await Promise.all([...unrepaired.keys()].map((agentId) => enqueue(agentId, async () => {
      const event = unrepaired.get(agentId);
      if (!event) return;
      const error = await appendWithRetry(event, 1);
      if (error === undefined) {
        if (unrepaired.get(agentId) === event) unrepaired.delete(agentId);
        logger.info({ agentId, to: event.data.to }, 'lifecycle transition appended by the repair; the registry catches up');
      }
    })));
  };

  return {
    publish(t) {
      const event = lifecycleChanged(t.agentId, { from: t.from, to: t.to, reason: t.reason, agentType: t.agentType, supervisorId: t.supervisorId });
      void enqueue(t.agentId, async () => {
        const error = await appendWithRetry(event, maxAttempts);
        if (error === undefined) {
          // This transition is the agent's truth now: an older failed one needs no repair.
          unrepaired.delete(t.agentId);
          return;
        }
        failures++;
        unrepaired.set(t.agentId, event);
        logger.error({ err: error, agentId: t.agentId, from: t.from, to: t.to, attempts: maxAttempts },
          'could not publish a lifecycle transition; appending it again until it lands (the registry lags meanwhile)');
        options.onFailure?.(error);
        scheduleRepair();
      });
    },
    get failures() { return failures; },
    get unrepaired() { return unrepaired.size; },
    async drain() {
      while (chains.size > 0) await Promise.all([...chains.values()]);
      if (unrepaired.size > 0) await repairAll();
      clearTimeout(repairTimer);
      repairTimer = undefined;
      if (unrepaired.size > 0) logger.error({ agents: [...unrepaired.keys()] }, 'lifecycle transitions still not in the stream at shutdown: the registry shows an older state for these agents');
    },
  };
}
