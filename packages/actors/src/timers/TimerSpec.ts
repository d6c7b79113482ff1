import type { MissedFirePolicy } from '../runtime/RuntimeState.js';

/**
 * A timer as an agent (or an API client) asks for it. Exactly one of `delayMs` / `at` (one-shot),
 * `everyMs` (interval) or `cron` (cron expression, seconds optional, in `timezone` or UTC).
 *
 * @example
 * ctx.timers.set({ id: 'reminder', command: 'remind', payload: { text: 'stand up' }, delayMs: 60_000 });
 * ctx.timers.set({ id: 'nightly', command: 'compact', cron: '0 3 * * *', missed: 'skip' });
 */
export interface TimerSpec {
  /** `[A-Za-z0-9][A-Za-z0-9_-]{0,63}`; default generated. Setting an existing id replaces that timer. */
  readonly id?: string;
  /** The agent type's command to run when the timer fires. */
  readonly command: string;
  /** Payload of that command. */
  readonly payload?: unknown;
  readonly delayMs?: number;
  /** ISO-8601 time or milliseconds since the epoch. */
  readonly at?: string | number;
  readonly everyMs?: number;
  readonly cron?: string;
  /** IANA time zone of `cron` (default UTC). */
  readonly timezone?: string;
  /** First fire of an interval timer (default one interval from now). */
  readonly startAt?: string | number;
  /** A fire found more than `graceMs` late: `fire-once` (default) runs it once, late; `skip` drops it. Repeating timers go on from the next future time either way. */
  readonly missed?: MissedFirePolicy;
  /** Lateness up to which a fire is on time (default 60 s). */
  readonly graceMs?: number;
}

/** A timer as `timers list` shows it. */
export interface TimerInfo {
  readonly timerId: string;
  readonly command: string;
  readonly payload?: unknown;
  readonly kind: 'once' | 'interval' | 'cron';
  readonly schedule: string;
  /** ISO-8601 time of the next fire. */
  readonly dueAt: string;
  readonly missed: MissedFirePolicy;
  readonly fired: number;
}
