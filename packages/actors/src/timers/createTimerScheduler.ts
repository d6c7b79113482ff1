import { LRUCache } from 'lru-cache';
import { backoffMs } from '@mister-smith/core/util';
import { SessionLock, silentLogger, type DatabaseHandle, type Logger } from '@mister-smith/core';
import type { DueTimer } from '../runtime/createRuntimeIndex.js';

/** What the scheduler needs from its supervisor. */
export interface TimerSchedulerDeps {
  readonly pg: DatabaseHandle;
  /** Namespace the scheduler serves (its election is per namespace). */
  readonly namespace: string | undefined;
  /**
   * Whether the agent's owner fires this timer itself (it is ACTIVE somewhere): false to fire it
   * now, else how long to leave it to the owner before looking again (ms).
   */
  readonly ownedElsewhere: (timer: DueTimer) => Promise<number | false>;
  /** Fires the timer through the supervisor (activating a COLD agent); resolves when it ran. */
  readonly fire: (timer: DueTimer) => Promise<void>;
  readonly logger?: Logger;
  /** How often the due-time index is read (default 1 s); timers due before the next read are armed in memory. */
  readonly pollMs?: number;
  /** Fires in flight at once (default 64). */
  readonly concurrency?: number;
  /** Re-tries of a failed fire start after this (default 1 s, doubling to 10 s). */
  readonly retryMs?: number;
  /** Election retry period for standbys (default 1 s). */
  readonly lockPollMs?: number;
}

/** The namespace-wide timer scheduler (one active, elected by a PostgreSQL advisory lock). */
export interface TimerScheduler {
  /** Whether this instance holds the election. */
  readonly active: boolean;
  /** Fires done by this instance. */
  readonly fired: number;
  stop(): Promise<void>;
}

/**
 * Starts the timer scheduler: every supervisor runs one, one of them (holding the advisory lock
 * `mister_smith.scheduler:<namespace>` on its own connection) reads the due-time index and fires
 * the timers whose agents nobody owns, which wakes COLD agents. A SIGKILLed holder's session ends,
 * so a standby takes over within `lockPollMs`. Fires are commands with deterministic ids, so one
 * that both an owner and the scheduler send runs once.
 */
export function startTimerScheduler(deps: TimerSchedulerDeps): TimerScheduler {
  const logger = deps.logger ?? silentLogger();
  const pollMs = deps.pollMs ?? 1_000;
  const concurrency = deps.concurrency ?? 64;
  const retryMs = deps.retryMs ?? 1_000;
  const lockKey = `mister_smith.scheduler:${deps.namespace ?? ''}`;
  const abort = new AbortController();
  const armed = new Map<string, NodeJS.Timeout>();
  const failures = new LRUCache<string, { attempts: number; notBefore: number }>({ max: 100_000 });
  /** Timers left to their owners, and when to look at them again. */
  const deferred = new LRUCache<string, number>({ max: 100_000 });
  const queue: DueTimer[] = [];
  const running = new Set<Promise<void>>();
  let active = false;
  let fired = 0;
  let wake: (() => void) | undefined;

  const keyOf = (t: DueTimer) => `${t.agentId}/${t.timerId}/${t.dueAt}`;
  const pause = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => { wake = undefined; resolve(); }, ms);
    wake = () => { clearTimeout(timer); wake = undefined; resolve(); };
  });

  function pump(): void {
    while (running.size < concurrency && queue.length > 0 && active) {
      const t = queue.shift()!;
      const key = keyOf(t);
      const p: Promise<void> = (async () => {
        try {
          const leaveMs = await deps.ownedElsewhere(t);
          if (leaveMs !== false) {
            deferred.set(key, Date.now() + leaveMs);
            return;
          }
          deferred.delete(key);
          await deps.fire(t);
          fired++;
          failures.delete(key);
        } catch (e) {
          const f = failures.get(key) ?? { attempts: 0, notBefore: 0 };
          f.attempts++;
          f.notBefore = Date.now() + backoffMs(f.attempts, { baseMs: retryMs, maxMs: 10_000 });
          failures.set(key, f);
          logger.warn({ err: e, agentId: t.agentId, timerId: t.timerId, attempts: f.attempts }, 'timer fire failed; retrying');
        } finally {
          armed.delete(key);
        }
      })().finally(() => { running.delete(p); pump(); });
      running.add(p);
    }
  }

  function arm(t: DueTimer): void {
    const key = keyOf(t);
    if (armed.has(key)) return;
    const f = failures.get(key);
    const at = Math.max(t.dueAt, f?.notBefore ?? 0, deferred.get(key) ?? 0);
    armed.set(key, setTimeout(() => { queue.push(t); pump(); }, Math.max(0, at - Date.now())));
  }

  async function lead(conn: DatabaseHandle['db']): Promise<void> {
    const until = () => Date.now() + pollMs;
    while (!abort.signal.aborted) {
      const due = await conn.selectFrom('mister_smith.agent_timers').select(['agent_id', 'agent_type', 'timer_id', 'due_at'])
        .where('due_at', '<=', new Date(until())).orderBy('due_at').limit(10_000).execute();
      for (const r of due) arm({ agentId: r.agent_id, agentType: r.agent_type, timerId: r.timer_id, dueAt: r.due_at.getTime() });
      await pause(pollMs);
    }
  }

  const loop = (async () => {
    // The project's one election helper (projection runners, the outbox bridge and rebuilds use it too).
    const lock = new SessionLock(deps.pg, lockKey, {
      onLost: (e) => logger.warn({ err: e, lockKey }, 'timer scheduler lost its lock session; standing for election again'),
      rejoinDelayMs: 2 * (deps.lockPollMs ?? 1_000),
    });
    while (!abort.signal.aborted) {
      try {
        if (await lock.tryAcquire()) {
          active = true;
          logger.info({ lockKey }, 'timer scheduler active');
          try {
            await lead(lock.db);
          } finally {
            active = false;
            for (const h of armed.values()) clearTimeout(h);
            armed.clear();
            queue.length = 0;
            await Promise.allSettled([...running]);
            await lock.release().catch(() => undefined);
          }
        }
      } catch (e) {
        if (!abort.signal.aborted) logger.warn({ err: e }, 'timer scheduler lost its connection; standing for election again');
      }
      if (!abort.signal.aborted) await pause(deps.lockPollMs ?? 1_000);
    }
    await lock.release().catch(() => undefined);
  })();

  return {
    get active() { return active; },
    get fired() { return fired; },
    async stop() {
      abort.abort();
      wake?.();
      await loop;
    },
  };
}
