import { msError } from '@mister-smith/core';
import { sql } from 'kysely';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';
import { assertTaskId } from './tasksGet.js';

/** Options of `mister-smith tasks cancel`. */
export interface TasksCancelOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What `tasks cancel` did. */
export interface TasksCancelResult {
  readonly taskId: string;
  readonly status: 'cancelled';
  readonly previousStatus: string;
}

/**
 * `mister-smith tasks cancel TASK_ID`: marks a pending or running task `cancelled` in `tasks.queue`
 * (its trigger publishes `tasks.cancelled.<id>`); a running task's worker can no longer complete
 * it. A task that has already ended is refused with its status (INVALID_ARGUMENT), an unknown one
 * is NOT_FOUND.
 *
 * @example
 * await tasksCancel('0190d3a4-...');
 */
export async function tasksCancel(taskId: string, options: TasksCancelOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<TasksCancelResult> {
  const id = assertTaskId(taskId);
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const { db } = c.requirePg();
  // One statement: the row's status before the update comes from the same snapshot.
  const updated = await sql<{ previous: string }>`
    UPDATE tasks.queue q SET status = 'cancelled', updated_at = now()
    FROM (SELECT task_id, status FROM tasks.queue WHERE task_id = ${id} FOR UPDATE) old
    WHERE q.task_id = old.task_id AND q.status IN ('pending', 'running')
    RETURNING old.status AS previous`.execute(db);
  const previous = updated.rows[0]?.previous;
  if (previous === undefined) {
    const row = await db.selectFrom('tasks.queue').select('status').where('task_id', '=', id).executeTakeFirst();
    if (!row) throw msError('NOT_FOUND', `no task ${id} in tasks.queue`, { details: { taskId: id } });
    throw msError('INVALID_ARGUMENT', `task ${id} is already ${row.status}: only pending or running tasks can be cancelled`, { details: { taskId: id, status: row.status } });
  }
  const result: TasksCancelResult = { taskId: id, status: 'cancelled', previousStatus: previous };
  output.result(result, () => `task ${id}: ${previous} -> cancelled`);
  return result;
}
