import { msError } from '@mister-smith/core';

/**
 * What the event archive keeps of agent state history. Only `StateChanged` events at or before the
 * agent's latest snapshot are ever pruned, and never the newest event of a key (so a rebuild of
 * `agents.state` from the archive still equals the live table); within that, an event is kept when
 * it is newer than `keepFor` or among the agent's `keepLast` newest events before its snapshot.
 */
export interface RetentionPolicy {
  /** Keep events stored less than this long ago (milliseconds; absent: no age bound). */
  readonly keepForMs?: number;
  /** Keep each agent's N newest events at or before its latest snapshot (default 0). */
  readonly keepLast?: number;
}

/** Parses `30d`, `12h`, `90m`, `45s` or plain milliseconds. */
export function parseRetentionDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw msError('INVALID_ARGUMENT', `a duration is a number with ms, s, m, h or d (e.g. 30d), got ${JSON.stringify(text)}`, { details: { text } });
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** Validates a policy (typed INVALID_ARGUMENT). */
export function assertRetentionPolicy(p: RetentionPolicy): RetentionPolicy {
  if (p.keepForMs !== undefined && (!Number.isSafeInteger(p.keepForMs) || p.keepForMs < 0)) throw msError('INVALID_ARGUMENT', 'keepForMs must be a non-negative integer');
  if (p.keepLast !== undefined && (!Number.isSafeInteger(p.keepLast) || p.keepLast < 0)) throw msError('INVALID_ARGUMENT', 'keepLast must be a non-negative integer');
  return p;
}
