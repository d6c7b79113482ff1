/**
 * Every failure the core package reports carries one of these codes. Callers branch on the code,
 * never on the message.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_ID'
  | 'INVALID_KEY'
  | 'INVALID_SUBJECT'
  | 'INVALID_CONFIG'
  | 'PAYLOAD_TOO_LARGE'
  | 'MALFORMED_EVENT'
  | 'UNSUPPORTED_SCHEMA'
  | 'CORRUPT_ENTRY'
  | 'REVISION_CONFLICT'
  | 'SEQUENCE_CONFLICT'
  | 'RETRIES_EXHAUSTED'
  | 'PROVISIONING_CONFLICT'
  | 'NOT_FOUND'
  | 'NATS_UNAVAILABLE'
  | 'POSTGRES_UNAVAILABLE'
  | 'PERMISSION_DENIED'
  | 'NOT_OWNER'
  | 'UNKNOWN_COMMAND'
  | 'TIMEOUT'
  | 'CLOSED'
  | 'MISSING_BINARY'
  | 'LOCKED'
  | 'DEAD_LETTERED'
  | 'PROJECTION_FAILED'
  | 'NOT_CONTIGUOUS'
  | 'EVENTS_UNAVAILABLE'
  | 'STALE_OWNER'
  | 'UNKNOWN_AGENT'
  | 'UNKNOWN_PROJECTION'
  | 'HANDLER_FAILED'
  | 'BACKPRESSURE'
  | 'BUSY'
  | 'INTERRUPTED'
  | 'NOT_EMPTY'
  | 'IDEMPOTENCY_CONFLICT'
  | 'BASE_UNAVAILABLE'
  | 'COMMITTED_NOT_FLUSHED'
  | 'INTERNAL';

const BRAND = Symbol.for('mister-smith.error');

/**
 * The error base of Mister Smith. `code` is stable and machine-readable; `details` carries the
 * offending key, subject or sizes; `cause` keeps the underlying NATS or PostgreSQL error.
 *
 * @example
 * try { await kv.update(key, value, rev) }
 * catch (e) { if (MisterSmithError.is(e, 'REVISION_CONFLICT')) retry() else throw e }
 */
export class MisterSmithError extends Error {
  override readonly name = 'MisterSmithError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  /** True when `e` is a MisterSmithError (from any copy of this package), optionally with `code`. */
  static is(e: unknown, code?: ErrorCode): e is MisterSmithError {
    if (typeof e !== 'object' || e === null) return false;
    const branded = (e as Record<PropertyKey, unknown>)[BRAND] === true;
    if (!branded) return false;
    return code === undefined || (e as MisterSmithError).code === code;
  }

  /** A plain object for logs and replies: code, message and details, never the stack. */
  toJSON(): { code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Shorthand for `new MisterSmithError(...)`. */
export function msError(
  code: ErrorCode,
  message: string,
  options?: { cause?: unknown; details?: Record<string, unknown> },
): MisterSmithError {
  return new MisterSmithError(code, message, options);
}
