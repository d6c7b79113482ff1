import { msError, TASK_PHASES, type ConsumerSpec, type TaskEventData } from '@mister-smith/core';
import type { Projection } from '../types/Projection.js';
import type { ProjectionEvent } from '../types/ProjectionItem.js';
import { jsonParam, untyped } from './untypedTables.js';

const TABLE = 'mister_smith.task_view';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUSES: ReadonlySet<string> = new Set(['pending', 'running', 'completed', 'failed', 'cancelled']);
const TYPES: ReadonlySet<string> = new Set(['TaskCreated', 'TaskStarted', 'TaskCompleted', 'TaskFailed', 'TaskCancelled', 'TaskUpdated']);

type TaskViewRow = {
  task_id: string;
  task_type: string;
  status: string;
  previous_status: string | null;
  assigned_agent_id: string | null;
  priority: number;
  attempts: number;
  payload: string | null;
  result: string | null;
  error: string | null;
  metadata: string;
  last_event_type: string;
  created_at: Date | null;
  changed_at: Date;
  version_epoch: number;
  version_seq: number;
};

/**
 * Task view: TASK_EXECUTION events -> `mister_smith.task_view`, one row per task with the state of
 * its latest event (version-guarded by (epoch, seq)) and the time of its `TaskCreated`. This is a
 * read model: `tasks.queue` is the source of truth and TASK_EXECUTION its change feed, so nothing
 * here writes `tasks.queue`. Pass `topology.consumers.taskFeed` as `interestConsumer` so the durable
 * consumer provisioning creates keeps every task event until this projection has it.
 */
export function taskViewProjection(options: { readonly name?: string; readonly interestConsumer?: ConsumerSpec } = {}): Projection {
  return {
    name: options.name ?? 'task-view',
    ...(options.interestConsumer ? { interestConsumer: options.interestConsumer } : {}),
    stream: 'taskExecution',
    // Every phase: more than one filter, so the runner reads the whole stream (2.9 takes one filter per consumer).
    subjects: TASK_PHASES.map((p) => `tasks.${p}.>`),
    tables: [TABLE],
    async apply(items, ctx) {
      const newest = new Map<string, TaskViewRow>();
      for (const item of items) {
        if (item.kind !== 'event') throw item.error;
        const row = taskRow(item);
        const prev = newest.get(row.task_id);
        newest.set(row.task_id, { ...row, created_at: row.created_at ?? prev?.created_at ?? null });
      }
      if (newest.size === 0) return;
      const table = ctx.table(TABLE);
      await untyped(ctx.trx).insertInto(table).values([...newest.values()])
        .onConflict((oc) => oc.column('task_id').doUpdateSet((eb) => ({
          task_type: eb.ref('excluded.task_type'), status: eb.ref('excluded.status'), previous_status: eb.ref('excluded.previous_status'),
          assigned_agent_id: eb.ref('excluded.assigned_agent_id'), priority: eb.ref('excluded.priority'), attempts: eb.ref('excluded.attempts'),
          payload: eb.ref('excluded.payload'), result: eb.ref('excluded.result'), error: eb.ref('excluded.error'),
          metadata: eb.ref('excluded.metadata'), last_event_type: eb.ref('excluded.last_event_type'),
          created_at: eb.fn('coalesce', [eb.ref(`${table}.created_at`), eb.ref('excluded.created_at')]),
          changed_at: eb.ref('excluded.changed_at'), version_epoch: eb.ref('excluded.version_epoch'), version_seq: eb.ref('excluded.version_seq'),
        })).where((eb) => eb(eb.refTuple(`${table}.version_epoch`, `${table}.version_seq`), '<', eb.refTuple('excluded.version_epoch', 'excluded.version_seq'))))
        .execute();
    },
  };
}

function taskRow(item: ProjectionEvent): TaskViewRow {
  const e = item.event;
  const bad = (why: string) => msError('MALFORMED_EVENT', `${e.type} ${e.id}: ${why}`, { details: { id: e.id, reason: why } });
  if (!TYPES.has(e.type)) throw msError('PROJECTION_FAILED', `task-view does not handle event type ${e.type}`, { details: { type: e.type, seq: item.seq } });
  const d = e.data as Partial<TaskEventData> | null;
  if (!d || typeof d !== 'object') throw bad('data is not an object');
  if (typeof d.task_id !== 'string' || !UUID.test(d.task_id)) throw bad('task_id must be a uuid');
  if (typeof d.task_type !== 'string' || d.task_type.length === 0) throw bad('task_type missing');
  if (typeof d.status !== 'string' || !STATUSES.has(d.status)) throw bad(`unknown status ${JSON.stringify(d.status)}`);
  const changedAt = typeof d.timestamp === 'number' && Number.isFinite(d.timestamp) ? new Date(Math.round(d.timestamp * 1000)) : new Date(e.time);
  return {
    task_id: d.task_id.toLowerCase(),
    task_type: d.task_type,
    status: d.status,
    previous_status: typeof d.previous_status === 'string' ? d.previous_status : null,
    assigned_agent_id: typeof d.assigned_agent_id === 'string' ? d.assigned_agent_id : null,
    priority: Number.isInteger(d.priority) ? (d.priority as number) : 0,
    attempts: Number.isInteger(d.attempts) ? (d.attempts as number) : 0,
    payload: jsonParam(d.payload),
    result: jsonParam(d.result),
    error: typeof d.error === 'string' ? d.error : null,
    metadata: JSON.stringify(d.metadata ?? {}),
    last_event_type: e.type,
    created_at: e.type === 'TaskCreated' ? changedAt : null,
    changed_at: changedAt,
    version_epoch: item.epoch,
    version_seq: item.seq,
  };
}
