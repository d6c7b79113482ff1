/**
 * Commands the runtime sends to an agent (never defined by an agent type; names start with `$`).
 * They travel the normal command path, so a fire or a resume runs once per command id.
 */
export const SYSTEM_COMMANDS = {
  /** A timer fire `{ timerId, dueAt }`, id `timer:<timerId>:<dueAt>`. */
  fireTimer: '$timer',
  /** Arms a timer from outside the agent `{ spec }`. */
  setTimer: '$setTimer',
  /** Cancels a timer `{ timerId }`. */
  cancelTimer: '$cancelTimer',
  /** Answers a pending request `{ requestId, value }`, id `resume:<requestId>`. */
  resume: '$resume',
  /** Replaces the agent's state by `{ state }` (a fork's first command, id `fork:<source>:<revision>`). */
  restore: '$restore',
  /** Writes one state key through the owner `{ key, value }` (operators: `Supervisor.setKey`, `agents set`). */
  setKey: '$set',
} as const;

const NAMES: ReadonlySet<string> = new Set(Object.values(SYSTEM_COMMANDS));

/** Whether `name` is one of the runtime's commands. */
export function isSystemCommand(name: string): boolean {
  return NAMES.has(name);
}

/** The command id of a resume: one per request, so a retried resume runs once. */
export function resumeCommandId(requestId: string): string {
  return `resume:${requestId}`;
}

/** Timer id of a wait's deadline (ids starting with `_` are the framework's). */
export function deadlineTimerId(requestId: string): string {
  return `_wait-${requestId}`;
}

/** The command a deadline timer runs. */
export const TIMEOUT_COMMAND = '$timeout';
