import { InvalidArgumentError } from 'commander';
import { LIFECYCLE_STATES, type LifecycleState, type StrategyName, type SubjectFamily, type SubscribeFrom } from '@mister-smith/core';

/**
 * Argument parsers for commander: each returns the typed value or throws InvalidArgumentError,
 * which commander reports as one line (`option '--count <n>' argument 'x' is invalid. ...`).
 */

/** A positive integer (`--count`, `--limit`). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** A positive number of seconds (`--duration`, `--interval`). */
export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

/** A TCP port, 0 meaning "pick a free one" (`--metrics-port`). */
export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return n;
}

/** A lifecycle state, case-insensitive (`--state active`). */
export function lifecycleState(value: string): LifecycleState {
  const s = value.toUpperCase();
  if (!(LIFECYCLE_STATES as readonly string[]).includes(s)) throw new InvalidArgumentError(`expected one of ${LIFECYCLE_STATES.join(', ')}`);
  return s as LifecycleState;
}

/** A conflict strategy (`--strategy vclock`). */
export function strategy(value: string): StrategyName {
  if (value !== 'lww' && value !== 'vclock' && value !== 'crdt') throw new InvalidArgumentError('expected lww, vclock or crdt');
  return value;
}

/** A JSON document (`agents set ID KEY JSON`). */
export function jsonValue(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new InvalidArgumentError(`expected JSON (strings need quotes: '"text"'), got ${JSON.stringify(value)}`);
  }
}

/** Where a subscription starts: `start`, `new`, a stream sequence, or an ISO-8601 time. */
export function startAt(value: string): SubscribeFrom {
  if (value === 'start' || value === 'new') return value;
  const after = /^after:(\d+):(\d+)$/.exec(value);
  if (after) return { after: { epoch: Number(after[1]), seq: Number(after[2]) } };
  if (/^\d+$/.test(value)) {
    const seq = Number(value);
    if (!Number.isSafeInteger(seq) || seq < 1) throw new InvalidArgumentError('a sequence starts at 1');
    return { seq };
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const time = new Date(value);
    if (!Number.isNaN(time.getTime())) return { time };
  }
  throw new InvalidArgumentError('expected start, new, a stream sequence, after:<epoch>:<seq> or an ISO-8601 time');
}

/** A W3C `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`). */
export function traceparent(value: string): string {
  if (!/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(value) || /^[0-9a-f]{2}-0{32}-/.test(value) || /-0{16}-[0-9a-f]{2}$/.test(value)) {
    throw new InvalidArgumentError('expected a W3C traceparent: 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>');
  }
  return value;
}

/** A task status (`tasks list --status failed`). */
export function taskStatus(value: string): string {
  const s = value.toLowerCase();
  if (!['pending', 'running', 'completed', 'failed', 'cancelled'].includes(s)) throw new InvalidArgumentError('expected pending, running, completed, failed or cancelled');
  return s;
}

/** A subject family of the agent-state stream, collected over repeated options. */
export function family(value: string, previous: SubjectFamily[] = []): SubjectFamily[] {
  if (value !== 'state' && value !== 'lifecycle' && value !== 'heartbeat') throw new InvalidArgumentError('expected state, lifecycle or heartbeat');
  return [...previous, value];
}
