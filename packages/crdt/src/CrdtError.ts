/**
 * Machine-readable reasons a {@link CrdtError} is thrown.
 *
 * - `CORRUPT_ENTRY`: a stored value, an encoded timestamp or an Automerge binary does not decode.
 * - `INVALID_ARGUMENT`: a caller passed a value this package cannot represent (for example
 *   `undefined`, a function, or an empty writer id).
 * - `STRATEGY_MISMATCH`: a stored value of one strategy was handed to another strategy.
 * - `CLOCK_DRIFT`: a remote timestamp is further ahead of the local wall clock than allowed.
 * - `MISSING_CHANGES`: Automerge changes were applied to a document that lacks their dependencies.
 * - `MERGE_FAILED`: Automerge refused to merge two documents (for example two changes that
 *   reuse one actor id and sequence number).
 */
export type CrdtErrorCode =
  | 'CORRUPT_ENTRY'
  | 'INVALID_ARGUMENT'
  | 'STRATEGY_MISMATCH'
  | 'CLOCK_DRIFT'
  | 'MISSING_CHANGES'
  | 'MERGE_FAILED';

/** Options accepted by the {@link CrdtError} constructor. */
export interface CrdtErrorOptions {
  /** The underlying error, when this one wraps another. */
  readonly cause?: unknown;
  /** Structured context for logs (never parsed by callers to decide behaviour). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error type thrown by `@mister-smith/crdt`.
 *
 * Match on {@link CrdtError.is} and the `code`, never on the message: the guard works across
 * duplicated copies of this package, where `instanceof` would not.
 *
 * @example
 * ```ts
 * try {
 *   strategy.parse(JSON.parse(text));
 * } catch (e) {
 *   if (CrdtError.is(e, 'CORRUPT_ENTRY')) deadLetter(key, e.details);
 *   else throw e;
 * }
 * ```
 */
export class CrdtError extends Error {
  /** Reason for the failure; stable across releases. */
  readonly code: CrdtErrorCode;
  /** Structured context, e.g. the offending path or the expected strategy. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: CrdtErrorCode, message: string, options: CrdtErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CrdtError';
    this.code = code;
    this.details = options.details;
  }

  /**
   * Whether `e` is a {@link CrdtError} (optionally with the given `code`).
   * Relies on the `name` brand and a string `code`, not on `instanceof`.
   */
  static is(e: unknown, code?: CrdtErrorCode): e is CrdtError {
    if (typeof e !== 'object' || e === null) return false;
    const candidate = e as { name?: unknown; code?: unknown };
    if (candidate.name !== 'CrdtError' || typeof candidate.code !== 'string') return false;
    return code === undefined || candidate.code === code;
  }
}
