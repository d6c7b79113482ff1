import type { RuntimeState } from '../runtime/RuntimeState.js';

/** Fires one timer of a resident agent; failures are the caller's to log (the scheduler retries). */
export type FireTimer = (agentId: string, timerId: string, dueAt: number) => Promise<void>;

/** In-process timers of the agents this process owns (re-armed from `_runtime` after every change). */
export interface LocalTimers {
  /** Arms the agent's earliest timer (replacing what was armed for it). */
  arm(agentId: string, runtime: RuntimeState): void;
  /** Forgets the agent (passivated, evicted): the scheduler fires its timers from now on. */
  disarm(agentId: string): void;
  /** Agents with an armed timer. */
  readonly size: number;
  stop(): Promise<void>;
}

/** Node's setTimeout holds at most ~24.8 days; longer waits re-check. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Creates the owner's local timers: one `setTimeout` per agent for its earliest due timer. A fire
 * goes through the agent's command path with id `timer:<timerId>:<dueAt>`; the committed command
 * re-arms the next one.
 */
export function createLocalTimers(fire: FireTimer, onError: (e: unknown, agentId: string, timerId: string) => void = () => undefined, now: () => number = Date.now): LocalTimers {
  const armed = new Map<string, { handle: NodeJS.Timeout; dueAt: number; timerId: string }>();
  const inflight = new Set<Promise<void>>();
  const retries = new Set<NodeJS.Timeout>();
  let stopped = false;

  function disarm(agentId: string): void {
    const a = armed.get(agentId);
    if (a) { clearTimeout(a.handle); armed.delete(agentId); }
  }

  const api: LocalTimers = {
    arm(agentId, runtime) {
      if (stopped) return;
      let first: { id: string; dueAt: number } | undefined;
      for (const t of Object.values(runtime.timers)) if (!first || t.dueAt < first.dueAt) first = { id: t.id, dueAt: t.dueAt };
      const cur = armed.get(agentId);
      if (cur && first && cur.timerId === first.id && cur.dueAt === first.dueAt) return;
      disarm(agentId);
      if (!first) return;
      const { id, dueAt } = first;
      const delay = Math.min(MAX_DELAY, Math.max(0, dueAt - now()));
      const handle = setTimeout(() => {
        if (armed.get(agentId)?.handle === handle) armed.delete(agentId);
        if (dueAt > now()) { api.arm(agentId, runtime); return; }
        const p: Promise<void> = fire(agentId, id, dueAt)
          .catch((e: unknown) => {
            onError(e, agentId, id);
            // Still ours and not re-armed by a commit: try again in a second (the fire is idempotent).
            if (!stopped && !armed.has(agentId)) {
              const retry = setTimeout(() => { retries.delete(retry); if (!armed.has(agentId)) api.arm(agentId, runtime); }, 1_000);
              retries.add(retry);
            }
          })
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }, delay);
      armed.set(agentId, { handle, dueAt, timerId: id });
    },
    disarm(agentId) { disarm(agentId); },
    get size() { return armed.size; },
    async stop() {
      stopped = true;
      for (const id of [...armed.keys()]) disarm(id);
      for (const r of retries) clearTimeout(r);
      retries.clear();
      await Promise.allSettled([...inflight]);
    },
  };
  return api;
}
