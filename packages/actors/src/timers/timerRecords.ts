import { randomBytes } from 'node:crypto';
import { msError } from '@mister-smith/core';
import { Cron } from 'croner';
import type { TimerRecord } from '../runtime/RuntimeState.js';
import type { TimerInfo, TimerSpec } from './TimerSpec.js';

const TIMER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const DEFAULT_GRACE_MS = 60_000;
const MAX_TIME = 8.64e15;

const bad = (message: string, details: Record<string, unknown> = {}) => msError('INVALID_ARGUMENT', message, { details });

/** The command id of one fire: the same for every process that fires it, so it runs once. */
export function timerCommandId(timerId: string, dueAt: number): string {
  return `timer:${timerId}:${dueAt}`;
}

/** Validates a timer id given by a user (`_`-prefixed ids belong to the framework). */
export function assertTimerId(id: unknown): string {
  if (typeof id !== 'string' || !TIMER_ID.test(id)) throw bad(`invalid timer id ${JSON.stringify(id)}: expected 1-64 characters of [A-Za-z0-9_-], not starting with "_" or "-"`, { timerId: id });
  return id;
}

function timeOf(v: string | number, what: string): number {
  const t = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(t) || t < 0 || t > MAX_TIME) throw bad(`${what} must be an ISO-8601 time or milliseconds since the epoch, got ${JSON.stringify(v)}`, { [what]: v });
  return t;
}

function positive(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(`${what} must be a positive number of milliseconds, got ${JSON.stringify(v)}`, { [what]: v });
  return v;
}

function cronOf(expr: string, timezone: string | undefined): Cron {
  try {
    return new Cron(expr, { paused: true, ...(timezone ? { timezone } : { utcOffset: 0 }) });
  } catch (e) {
    throw msError('INVALID_ARGUMENT', `invalid cron expression ${JSON.stringify(expr)}${timezone ? ` in ${timezone}` : ''}: ${(e as Error).message}`, { cause: e, details: { cron: expr } });
  }
}

/** The first cron time strictly after `after`. */
function nextCron(expr: string, timezone: string | undefined, after: number): number | undefined {
  const next = cronOf(expr, timezone).nextRun(new Date(after));
  return next ? next.getTime() : undefined;
}

/**
 * Turns a {@link TimerSpec} into the record stored in `_runtime` (validating everything), its first
 * fire computed from `now`.
 *
 * @throws INVALID_ARGUMENT for a bad id, schedule, policy or a cron expression with no next time.
 */
export function createTimerRecord(spec: TimerSpec, now: number, options: { readonly internalId?: string } = {}): TimerRecord {
  if (typeof spec !== 'object' || spec === null) throw bad('a timer is an object: { command, delayMs | at | everyMs | cron, ... }');
  const id = options.internalId ?? (spec.id === undefined ? `t-${randomBytes(6).toString('hex')}` : assertTimerId(spec.id));
  if (typeof spec.command !== 'string' || spec.command.length === 0) throw bad('a timer needs the command it runs', { timerId: id });
  const kinds = [spec.delayMs !== undefined || spec.at !== undefined, spec.everyMs !== undefined, spec.cron !== undefined].filter(Boolean).length;
  if (kinds !== 1 || (spec.delayMs !== undefined && spec.at !== undefined)) throw bad('a timer has exactly one of delayMs, at, everyMs or cron', { timerId: id });
  const missed = spec.missed ?? 'fire-once';
  if (missed !== 'fire-once' && missed !== 'skip') throw bad(`missed must be "fire-once" or "skip", got ${JSON.stringify(missed)}`, { timerId: id });
  const graceMs = spec.graceMs === undefined ? DEFAULT_GRACE_MS : positive(spec.graceMs, 'graceMs');
  const base = { id, command: spec.command, ...(spec.payload !== undefined ? { payload: spec.payload } : {}), missed, graceMs, createdAt: now, fired: 0 };
  if (spec.everyMs !== undefined) {
    const everyMs = positive(spec.everyMs, 'everyMs');
    const dueAt = spec.startAt === undefined ? now + everyMs : timeOf(spec.startAt, 'startAt');
    return { ...base, kind: 'interval', everyMs, dueAt };
  }
  if (spec.cron !== undefined) {
    if (typeof spec.cron !== 'string') throw bad('cron must be a string');
    const dueAt = nextCron(spec.cron, spec.timezone, now);
    if (dueAt === undefined) throw bad(`cron expression ${JSON.stringify(spec.cron)} has no future time`, { timerId: id });
    return { ...base, kind: 'cron', cron: spec.cron, ...(spec.timezone ? { timezone: spec.timezone } : {}), dueAt };
  }
  const dueAt = spec.delayMs !== undefined ? now + (spec.delayMs === 0 ? 0 : positive(spec.delayMs, 'delayMs')) : timeOf(spec.at!, 'at');
  return { ...base, kind: 'once', dueAt };
}

/**
 * The record after its fire due at `record.dueAt` was handled at `now` (run or skipped), or
 * undefined when the timer is done. Repeating timers go on from the first due time after `now`,
 * so fires missed while the system was down collapse into the one just handled.
 */
export function afterFire(record: TimerRecord, now: number, ran: boolean): TimerRecord | undefined {
  const fired = record.fired + (ran ? 1 : 0);
  if (record.kind === 'once') return undefined;
  if (record.kind === 'interval') {
    const every = record.everyMs!;
    let next = record.dueAt + every;
    if (next <= now) next += Math.ceil((now - next + 1) / every) * every;
    return { ...record, dueAt: next, fired };
  }
  const next = nextCron(record.cron!, record.timezone, Math.max(record.dueAt, now));
  return next === undefined ? undefined : { ...record, dueAt: next, fired };
}

/** Whether a fire handled at `now` is past its grace (missed). */
export function isMissed(record: TimerRecord, now: number): boolean {
  return now - record.dueAt > record.graceMs;
}

/** The listing form of a record. */
export function timerInfo(record: TimerRecord): TimerInfo {
  const schedule = record.kind === 'once' ? `once at ${new Date(record.dueAt).toISOString()}`
    : record.kind === 'interval' ? `every ${record.everyMs} ms` : `cron ${record.cron}${record.timezone ? ` (${record.timezone})` : ' (UTC)'}`;
  return {
    timerId: record.id, command: record.command, ...(record.payload !== undefined ? { payload: record.payload } : {}),
    kind: record.kind, schedule, dueAt: new Date(record.dueAt).toISOString(), missed: record.missed, fired: record.fired,
  };
}
