/** Codes of the failures this package reports; callers branch on them, never on messages. */
export type LangGraphErrorCode =
  /** Another saver wrote the thread since this one last saw it: the write was refused, nothing forked. */
  | 'THREAD_FENCED'
  /** Two external ids hashed onto one token (SHA-256 collision); refused rather than mixed. */
  | 'ID_COLLISION'
  /** A required config field is missing or of the wrong type. */
  | 'INVALID_CONFIG'
  /** The store was asked for semantic (vector) search, which it does not index. */
  | 'VECTOR_SEARCH_UNSUPPORTED'
  /** The saver or store was used after `close()`. */
  | 'CLOSED';

const BRAND = Symbol.for('mister-smith.langgraph.error');

/**
 * The error base of `@mister-smith/langgraph`: a stable `code`, `details` with the thread or
 * namespace concerned, and the underlying `cause`.
 *
 * @example
 * try { await graph.invoke(input, config) }
 * catch (e) { if (LangGraphError.is(e, 'THREAD_FENCED')) reloadAndRetry() else throw e }
 */
export class LangGraphError extends Error {
  override readonly name = 'LangGraphError';
  readonly code: LangGraphErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  readonly [BRAND] = true;

  constructor(code: LangGraphErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  /** True when `e` is a LangGraphError (from any copy of this package), optionally with `code`. */
  static is(e: unknown, code?: LangGraphErrorCode): e is LangGraphError {
    if (typeof e !== 'object' || e === null) return false;
    if ((e as Record<PropertyKey, unknown>)[BRAND] !== true) return false;
    return code === undefined || (e as LangGraphError).code === code;
  }

  /** A plain object for logs and replies: code, message and details, never the stack. */
  toJSON(): { code: LangGraphErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}
