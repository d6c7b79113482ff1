import { MisterSmithError, type ErrorCode } from '@mister-smith/core';

const INFRA_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NATS_UNAVAILABLE', 'POSTGRES_UNAVAILABLE', 'TIMEOUT', 'CLOSED', 'LOCKED', 'NOT_FOUND', 'RETRIES_EXHAUSTED', 'PERMISSION_DENIED',
]);
// SQLSTATE classes that say nothing about the event: connection, resources, operator intervention,
// system errors, transaction rollbacks (serialization, deadlock).
const INFRA_SQLSTATE_CLASSES: ReadonlySet<string> = new Set(['08', '53', '57', '58', 'XX', '40']);

/**
 * Whether a failure belongs to the infrastructure (NATS, PostgreSQL, a lost checkpoint race)
 * rather than to the events being applied. Such failures are never dead-lettered: the runner backs
 * off and retries from its checkpoint.
 */
export function isInfrastructureError(e: unknown): boolean {
  if (MisterSmithError.is(e)) return INFRA_CODES.has(e.code);
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return INFRA_SQLSTATE_CLASSES.has(code.slice(0, 2));
  const message = String((e as Error | null)?.message ?? '');
  // pg reports a dropped connection without a SQLSTATE.
  return /Connection terminated|connection error|Client was closed|not queryable|ECONNRESET|ECONNREFUSED/i.test(message);
}
