import { sql } from 'kysely';
import type { DatabaseHandle, Logger } from '@mister-smith/core';

/** A running sweep of pending tasks. */
export interface PendingTaskSweep {
  /** Sweeps once now; resolves with the ids of the tasks it dispatched. */
  sweep(): Promise<string[]>;
  /** Stops the timer and waits for a sweep in flight. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Dispatches `pending` tasks that have an assigned agent, every `intervalMs` (and once at start),
 * the way the dispatcher does for a `tasks.created` event: marks them `running` (attempts + 1),
 * which the trigger publishes as `tasks.started.<id>`. It catches the pending tasks that no
 * `tasks.created` event will ever dispatch: a task assigned after it was inserted (its event saw no
 * agent), or one whose event is gone. A task the dispatcher is about to take is safe: both update
 * only `WHERE status = 'pending'`, so one of them dispatches it, once.
 */
export function startPendingTaskSweep(pg: DatabaseHandle, options: { readonly intervalMs: number; readonly logger?: Logger | undefined; readonly onDispatch?: (taskIds: readonly string[]) => void }): PendingTaskSweep {
  const { intervalMs, logger } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<string[]> | undefined;
  const sweep = async (): Promise<string[]> => {
    const rows = await pg.db.updateTable('tasks.queue')
      .set({ status: 'running', attempts: sql`attempts + 1`, updated_at: sql`now()` })
      .where('status', '=', 'pending').where('assigned_agent_id', 'is not', null)
      .returning('task_id').execute();
    const ids = rows.map((r) => String(r.task_id));
    if (ids.length > 0) {
      logger?.info({ tasks: ids.length }, 'dispatched pending tasks that no tasks.created event dispatched');
      options.onDispatch?.(ids);
    }
    return ids;
  };
  const tick = () => {
    running = sweep().catch((e: unknown) => {
      // Retried at the next tick: a pending task only waits one more interval.
      logger?.warn({ err: e }, 'could not sweep pending tasks; trying again at the next interval');
      return [];
    }).finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  tick();
  return {
    sweep,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
