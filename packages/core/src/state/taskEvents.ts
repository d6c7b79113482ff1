import type { Event } from '../events/EventEnvelope.js';

/** Task phases: the `<phase>` of `tasks.<phase>.<taskId>` (seed 6.4 plus `updated`). */
export type TaskPhase = 'created' | 'started' | 'completed' | 'failed' | 'cancelled' | 'updated';

/** Every task phase. */
export const TASK_PHASES: readonly TaskPhase[] = ['created', 'started', 'completed', 'failed', 'cancelled', 'updated'];

/** Task statuses of `tasks.queue.status`. */
export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/** Data of every task event (the seed trigger's payload, plus attempts, payload, result and error). */
export interface TaskEventData {
  readonly task_id: string;
  readonly task_type: string;
  readonly status: TaskStatus;
  readonly previous_status: TaskStatus | null;
  readonly assigned_agent_id: string | null;
  readonly priority: number;
  readonly attempts?: number;
  readonly payload?: unknown;
  readonly result?: unknown;
  readonly error?: string | null;
  readonly timestamp: number;
  readonly metadata: unknown;
}

/** `TaskCreated`, `TaskStarted`, ... as published by the bridge from the tasks.queue outbox. */
export type TaskEvent = Event<'TaskCreated' | 'TaskStarted' | 'TaskCompleted' | 'TaskFailed' | 'TaskCancelled' | 'TaskUpdated', TaskEventData>;

/** The event type of a task phase: `created` -> `TaskCreated`. */
export function taskEventType(phase: TaskPhase): TaskEvent['type'] {
  return `Task${phase.charAt(0).toUpperCase()}${phase.slice(1)}` as TaskEvent['type'];
}
