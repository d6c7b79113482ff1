import { MisterSmithError, msError } from '../errors/MisterSmithError.js';

/**
 * A pg failure as a typed error: a SQLSTATE of class 08 (connection) or 57P0x (shutdown), or none
 * at all (a refused, lost or timed-out socket), means POSTGRES_UNAVAILABLE; anything else INTERNAL.
 */
export function pgFailure(e: unknown, what: string): MisterSmithError {
  if (MisterSmithError.is(e)) return e;
  const code = typeof (e as { code?: unknown } | null)?.code === 'string' ? (e as { code: string }).code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  const sqlstate = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const unavailable = sqlstate === undefined || sqlstate.startsWith('08') || sqlstate.startsWith('57P0');
  return msError(unavailable ? 'POSTGRES_UNAVAILABLE' : 'INTERNAL', `${what}: ${message}`, { cause: e, details: code ? { code } : {} });
}
