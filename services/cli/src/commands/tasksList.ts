import { assertAgentId, msError } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { compactJson, formatTable } from '../cli/formatTable.js';
import { openClients } from '../connection/openClients.js';

/** The statuses of a `tasks.queue` row, in lifecycle order. */
export const TASK_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
/** One of `TASK_STATUSES`. */
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Options of `mister-smith tasks list`. */
export interface TasksListOptions {
  readonly status?: TaskStatus;
  /** Only tasks assigned to this agent. */
  readonly agent?: string;
  /** At most this many, newest first (default 50). */
  readonly limit?: number;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A `tasks.queue` row as the CLI shows it. */
export interface TaskView {
  readonly taskId: string;
  readonly taskType: string;
  readonly status: string;
  readonly agentId: string | null;
  readonly priority: number;
  readonly attempts: number;
  readonly payload: unknown;
  readonly result: unknown;
  readonly error: string | null;
  readonly metadata: unknown;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Maps a `tasks.queue` row to its view. */
export function taskView(r: { task_id: string; task_type: string; status: string; assigned_agent_id: string | null; priority: number; attempts: number; payload: unknown; result: unknown; error: string | null; metadata: unknown; created_at: Date; updated_at: Date }): TaskView {
  return {
    taskId: r.task_id, taskType: r.task_type, status: r.status, agentId: r.assigned_agent_id, priority: r.priority, attempts: r.attempts,
    payload: r.payload, result: r.result, error: r.error, metadata: r.metadata, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

/**
 * `mister-smith tasks list [--status S] [--agent ID] [--limit N]`: rows of `tasks.queue` (the source
 * of truth for tasks), newest first, with a count per status.
 *
 * @example
 * const failed = await tasksList({ status: 'failed' });
 */
export async function tasksList(options: TasksListOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<TaskView[]> {
  if (options.agent !== undefined) assertAgentId(options.agent);
  if (options.status !== undefined && !(TASK_STATUSES as readonly string[]).includes(options.status)) throw msError('INVALID_ARGUMENT', `unknown task status ${JSON.stringify(options.status)}: ${TASK_STATUSES.join(', ')}`);
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const { db } = c.requirePg();
  let q = db.selectFrom('tasks.queue').selectAll().orderBy('created_at', 'desc').orderBy('task_id').limit(options.limit ?? 50);
  if (options.status) q = q.where('status', '=', options.status);
  if (options.agent) q = q.where('assigned_agent_id', '=', options.agent);
  const tasks = (await q.execute()).map(taskView);
  let cq = db.selectFrom('tasks.queue').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('status');
  if (options.agent) cq = cq.where('assigned_agent_id', '=', options.agent);
  const counts = new Map((await cq.execute()).map((r) => [r.status, Number(r.n)]));
  const summary = TASK_STATUSES.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`).join(', ');
  output.result(tasks, () => (tasks.length === 0
    ? [`no tasks${options.status ? ` ${options.status}` : ''}${options.agent ? ` for ${options.agent}` : ''}${summary ? ` (in all: ${summary})` : ''}`]
    : [
      ...formatTable(['TASK', 'TYPE', 'STATUS', 'AGENT', 'ATTEMPTS', 'CREATED', 'ERROR'], tasks.map((t) => [t.taskId, t.taskType, t.status, t.agentId ?? '-', String(t.attempts), t.createdAt, t.error ? compactJson(t.error, 60) : '-'])),
      `${tasks.length} shown; in all: ${summary}`,
    ]));
  return tasks;
}
