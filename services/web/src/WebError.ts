/** Failures the web role reports over HTTP, beyond the core package's `MisterSmithError` codes. */
export type WebErrorCode =
  /** No token, or the wrong one, on a server that requires one. */
  | 'UNAUTHORIZED'
  /** A write (rebuild) on a server started read-only. */
  | 'READ_ONLY'
  /** The revision to resume from is older than what the stream keeps: take a new snapshot. */
  | 'REVISION_EXPIRED'
  /** The service asked (the projector) does not run in this namespace. */
  | 'NOT_RUNNING';

const BRAND = Symbol.for('mister-smith.web-error');

const STATUS: Record<WebErrorCode, number> = { UNAUTHORIZED: 401, READ_ONLY: 403, REVISION_EXPIRED: 410, NOT_RUNNING: 503 };

/**
 * An error of the web role with a stable `code` and its HTTP status. Recognised by a brand, not
 * `instanceof`.
 *
 * @example
 * throw new WebError('REVISION_EXPIRED', 'events after 1:40 are no longer kept');
 */
export class WebError extends Error {
  override readonly name = 'WebError';
  readonly code: WebErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>>;
  readonly [BRAND] = true;

  constructor(code: WebErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = STATUS[code];
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  /** True when `e` is a WebError, optionally with `code`. */
  static is(e: unknown, code?: WebErrorCode): e is WebError {
    if (typeof e !== 'object' || e === null || (e as Record<PropertyKey, unknown>)[BRAND] !== true) return false;
    return code === undefined || (e as WebError).code === code;
  }
}
