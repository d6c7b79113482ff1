import { msError } from '@mister-smith/core';
import { sql } from 'kysely';
import { createOutput, type Output } from '../cli/Output.js';
import { compactJson } from '../cli/formatTable.js';
import { openClients } from '../connection/openClients.js';
import { taskView, type TaskView } from './tasksList.js';

/** Options of `mister-smith tasks get`. */
export interface TasksGetOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** One step of a task's lifecycle, from its archived TASK_EXECUTION event. */
export interface TaskLifecycleStep {
  readonly seq: number;
  readonly time: string;
  /** `TaskCreated`, `TaskStarted`, `TaskCompleted`, `TaskFailed`, `TaskCancelled`, `TaskUpdated`. */
  readonly eventType: string;
  readonly status: string | null;
}

/** `tasks get`: the row and its lifecycle. */
export interface TaskDetail extends TaskView {
  /** Empty until the projector has archived the task's events. */
  readonly lifecycle: readonly TaskLifecycleStep[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks a task id (a uuid) before it reaches a query. */
export function assertTaskId(id: string): string {
  if (!UUID.test(id)) throw msError('INVALID_ID', `invalid task id ${JSON.stringify(id)}: task ids are uuids (see "mister-smith tasks list")`, { details: { taskId: id } });
  return id.toLowerCase();
}

/**
 * `mister-smith tasks get TASK_ID`: the `tasks.queue` row (payload, result, error, attempts) and its
 * lifecycle as the TASK_EXECUTION events archived in PostgreSQL show it. NOT_FOUND for an unknown id.
 *
 * @example
 * const t = await tasksGet('0190d3a4-...');
 */
export async function tasksGet(taskId: string, options: TasksGetOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<TaskDetail> {
  const id = assertTaskId(taskId);
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const { db } = c.requirePg();
  const row = await db.selectFrom('tasks.queue').selectAll().where('task_id', '=', id).executeTakeFirst();
  if (!row) throw msError('NOT_FOUND', `no task ${id} in tasks.queue`, { details: { taskId: id } });
  const events = await sql<{ seq: string; stored_at: Date; event_type: string; status: string | null }>`
    SELECT seq, stored_at, event_type, envelope #>> '{data,status}' AS status FROM mister_smith.event_archive
    WHERE stream = ${c.topology.streams.taskExecution.name} AND subject LIKE ${`%.${id}`} AND event_type LIKE 'Task%'
    ORDER BY epoch, seq`.execute(db);
  const detail: TaskDetail = {
    ...taskView(row),
    lifecycle: events.rows.map((e) => ({ seq: Number(e.seq), time: e.stored_at.toISOString(), eventType: e.event_type, status: e.status })),
  };
  output.result(detail, () => [
    `task ${detail.taskId} (${detail.taskType}) ${detail.status}${detail.agentId ? ` on ${detail.agentId}` : ''}, ${detail.attempts} attempt(s), priority ${detail.priority}`,
    `  created ${detail.createdAt}, updated ${detail.updatedAt}`,
    `  payload ${compactJson(detail.payload, 200)}`,
    ...(detail.result !== null ? [`  result  ${compactJson(detail.result, 200)}`] : []),
    ...(detail.error !== null ? [`  error   ${detail.error}`] : []),
    detail.lifecycle.length === 0 ? '  lifecycle: no events archived yet (the projector archives TASK_EXECUTION)' : `  lifecycle: ${detail.lifecycle.map((s) => `${s.eventType.replace(/^Task/, '').toLowerCase()} #${s.seq}`).join(' -> ')}`,
  ]);
  return detail;
}
