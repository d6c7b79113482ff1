import { MisterSmithError, msError } from '@mister-smith/core';

/**
 * Wraps a pg failure in a typed error. Errors the server reports carry a SQLSTATE: class 08
 * (connection) and 57P01-57P03 (shutdown) mean PostgreSQL is unavailable, anything else is INTERNAL.
 * Errors without a SQLSTATE come from the client side (refused or lost socket, connect timeout) and
 * also mean unavailable.
 */
export function pgFailure(e: unknown, what: string): MisterSmithError {
  if (MisterSmithError.is(e)) return e;
  const code = typeof (e as { code?: unknown } | null)?.code === 'string' ? (e as { code: string }).code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  const sqlstate = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const unavailable = sqlstate === undefined || sqlstate.startsWith('08') || sqlstate.startsWith('57P0');
  return msError(unavailable ? 'POSTGRES_UNAVAILABLE' : 'INTERNAL', `${what}: ${message}`, { cause: e, details: code ? { code } : {} });
}
