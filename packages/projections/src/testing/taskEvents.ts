import { createEvent, newId, taskEventType, type TaskEvent, type TaskPhase, type TaskStatus } from '@mister-smith/core';

const STATUS: Record<TaskPhase, TaskStatus> = { created: 'pending', started: 'running', completed: 'completed', failed: 'failed', cancelled: 'cancelled', updated: 'running' };

/** A task event as the bridge publishes it from the tasks.queue outbox (tests). */
export function taskEvent(taskId: string, phase: TaskPhase, extra: { taskType?: string; previous?: TaskStatus | null; payload?: unknown; attempts?: number } = {}): TaskEvent {
  return createEvent({
    type: taskEventType(phase), subject: `tasks.${phase}.${taskId}`,
    data: {
      task_id: taskId, task_type: extra.taskType ?? 'test', status: STATUS[phase], previous_status: extra.previous ?? null,
      assigned_agent_id: null, priority: 0, attempts: extra.attempts ?? 0, payload: extra.payload ?? null, result: null, error: null,
      timestamp: Date.now() / 1000, metadata: {},
    },
  }) as TaskEvent;
}

/** A fresh task id (uuid, as tasks.queue assigns). */
export const newTaskId = (): string => newId();
