/** The reserved state key holding an agent's timers and pending waits (written by its owner like any key). */
export const RUNTIME_KEY = '_runtime';

/** How a timer repeats. */
export type TimerKind = 'once' | 'interval' | 'cron';

/** What a timer does with a fire that is later than its grace (the whole system was down): run it once late, or skip it. */
export type MissedFirePolicy = 'fire-once' | 'skip';

/** A durable timer as stored in the agent's `_runtime` state. Times are milliseconds since the epoch. */
export interface TimerRecord {
  readonly id: string;
  /** The agent type's command the timer runs (or `$timeout` for the deadline of a wait). */
  readonly command: string;
  readonly payload?: unknown;
  readonly kind: TimerKind;
  readonly everyMs?: number;
  readonly cron?: string;
  readonly timezone?: string;
  /** When the next fire is due. Its command id is `timer:<id>:<dueAt>`. */
  readonly dueAt: number;
  readonly missed: MissedFirePolicy;
  /** A fire later than this counts as missed (default 60 s). */
  readonly graceMs: number;
  readonly createdAt: number;
  /** Fires so far (skipped ones not counted). */
  readonly fired: number;
}

/** A pending human-in-the-loop request. */
export interface WaitRecord {
  readonly requestId: string;
  readonly payload?: unknown;
  /** When the request times out (ms since the epoch), if it does. */
  readonly deadline?: number;
  /** The command that receives `{ requestId, value, request }` on resume. */
  readonly onResume: string;
  /** The command that receives `{ requestId, timedOut: true, request }` at the deadline. */
  readonly onTimeout?: string;
  readonly createdAt: number;
}

/** The value of `_runtime`. */
export interface RuntimeState {
  readonly timers: Readonly<Record<string, TimerRecord>>;
  readonly waits: Readonly<Record<string, WaitRecord>>;
}

/** The `_runtime` of a state object (empty when it has none). */
export function runtimeOf(state: Readonly<Record<string, unknown>> | undefined): RuntimeState {
  const rt = state?.[RUNTIME_KEY] as Partial<RuntimeState> | undefined;
  return { timers: rt?.timers ?? {}, waits: rt?.waits ?? {} };
}

/** The state without framework keys (what handlers and readers see). */
export function userStateOf<S extends Readonly<Record<string, unknown>>>(state: S): S {
  if (!Object.keys(state).some((k) => k.startsWith('_'))) return state;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state)) if (!k.startsWith('_')) out[k] = v;
  return Object.freeze(out) as S;
}
