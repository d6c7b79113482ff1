import { sql } from 'kysely';
import { assertAgentId, MisterSmithError, msError, type DatabaseHandle, type Logger, type NatsHandle, type TaskEvent, type Topology } from '@mister-smith/core';
import type { Supervisor } from '@mister-smith/actors';
import { startTaskProcessor, type TaskProcessor } from '@mister-smith/projections';
import { startPendingTaskSweep, type PendingTaskSweep } from './startPendingTaskSweep.js';

/** Options of the task worker. */
export interface TaskWorkerOptions {
  readonly supervisor: Supervisor;
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  readonly logger?: Logger;
  /** Overrides of the task processor consumer (seed 6.3: ack wait 30 s, 3 deliveries). */
  readonly processor?: { readonly ackWaitSeconds?: number; readonly maxDeliver?: number; readonly name?: string };
  /** Name of the durable consumer that picks up created tasks (default `topology.consumers.taskDispatcher`, `task-dispatcher`). */
  readonly dispatcherName?: string;
  /** How often pending tasks with an assigned agent that no event dispatched are swept, ms (default 5000; 0: never). */
  readonly sweepIntervalMs?: number;
}

/** Counters of a task worker. */
export interface TaskWorkerStats {
  readonly dispatched: number;
  readonly completed: number;
  readonly failed: number;
  readonly deadLettered: number;
}

/** A running task worker. */
export interface TaskWorker extends AsyncDisposable {
  stats(): TaskWorkerStats;
  stop(): Promise<void>;
}

/**
 * Runs tasks from `tasks.queue` on agents, all the way through. `tasks.queue` is the source of
 * truth and TASK_EXECUTION its change feed (published by the bridge):
 * 1. `tasks.created.<id>` with an assigned agent: the dispatcher marks the row `running`
 *    (attempts + 1), which the trigger publishes as `tasks.started.<id>`;
 * 2. the task processor (seed 6.3: explicit ack, 3 deliveries) sends the task to the assigned
 *    agent as the command named by `task_type` with the task's payload, through the supervisor
 *    (which activates a COLD agent, or forwards to the owner);
 * 3. success marks the row `completed` with the handler's result (`tasks.completed.<id>`); a
 *    failure is delivered again, and after the last delivery the row is marked `failed` with the
 *    reason (`tasks.failed.<id>`) and the task is dead-lettered.
 * A sweep dispatches `pending` tasks with an assigned agent that no `tasks.created` event will
 * (assigned after insertion, or their event is gone), see `startPendingTaskSweep`.
 */
export async function createTaskWorker(options: TaskWorkerOptions): Promise<TaskWorker> {
  const { supervisor, nats, pg, topology } = options;
  const log = options.logger;
  const counts = { dispatched: 0, completed: 0, failed: 0, deadLettered: 0 };
  const processors: TaskProcessor[] = [];
  let sweep: PendingTaskSweep | undefined;
  try {
    processors.push(await startTaskProcessor({
      nats, pg, topology,
      consumer: { ...topology.consumers.taskDispatcher, ...(options.dispatcherName !== undefined ? { name: options.dispatcherName } : {}) },
      handler: async (task) => {
        const agentId = task.data.assigned_agent_id;
        if (!agentId) { log?.info({ taskId: task.data.task_id }, 'task has no assigned agent; it stays pending'); return; }
        await pg.db.updateTable('tasks.queue')
          .set({ status: 'running', attempts: sql`attempts + 1`, updated_at: sql`now()` })
          .where('task_id', '=', task.data.task_id).where('status', '=', 'pending').execute();
        counts.dispatched++;
      },
      ...(log ? { logger: log } : {}),
    }));
    processors.push(await startTaskProcessor({
      nats, pg, topology,
      ...(options.processor ? { consumer: options.processor } : {}),
      handler: async (task: TaskEvent, delivery) => {
        const id = task.data.task_id;
        try {
          const agentId = assertAgentId(task.data.assigned_agent_id);
          const reply = await supervisor.command(agentId, task.data.task_type, task.data.payload ?? undefined, { commandId: `task:${id}` });
          await pg.db.updateTable('tasks.queue')
            .set({ status: 'completed', result: JSON.stringify(reply.result ?? null), error: null, updated_at: sql`now()` })
            .where('task_id', '=', id).where('status', '=', 'running').execute();
          counts.completed++;
        } catch (e) {
          const reason = MisterSmithError.is(e) ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? e);
          log?.warn({ taskId: id, delivery: delivery.deliveryCount, maxDeliver: delivery.maxDeliver, reason }, 'task failed');
          if (delivery.deliveryCount >= delivery.maxDeliver) {
            await pg.db.updateTable('tasks.queue')
              .set({ status: 'failed', error: reason, updated_at: sql`now()` })
              .where('task_id', '=', id).where('status', '=', 'running').execute();
            counts.failed++;
            counts.deadLettered++;
          }
          throw msError('HANDLER_FAILED', `task ${id} (${task.data.task_type}) failed: ${reason}`, { cause: e, details: { taskId: id } });
        }
      },
      ...(log ? { logger: log } : {}),
    }));
    const sweepIntervalMs = options.sweepIntervalMs ?? 5000;
    if (sweepIntervalMs > 0) sweep = startPendingTaskSweep(pg, { intervalMs: sweepIntervalMs, logger: log, onDispatch: (ids) => { counts.dispatched += ids.length; } });
  } catch (e) {
    for (const p of processors) await p.stop();
    throw e;
  }
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => { await sweep?.stop(); for (const p of processors) await p.stop(); })());
  return { stats: () => ({ ...counts }), stop, [Symbol.asyncDispose]: stop };
}
