/** What can go wrong while syncing, as a stable code. */
export type SyncErrorCode =
  /** The revision to resume from is older than what the server keeps: take a new snapshot. */
  | 'REVISION_EXPIRED'
  /** The server wants a token, or refused the one given. */
  | 'UNAUTHORIZED'
  /** The request was refused as malformed (bad agent id or cursor). */
  | 'INVALID_ARGUMENT'
  /** The server answered with another error, or with something that is not the sync protocol. */
  | 'SERVER_ERROR'
  /** The connection failed or broke (the client reconnects by itself). */
  | 'NETWORK'
  /** The sync was closed. */
  | 'CLOSED';

const BRAND = Symbol.for('mister-smith.sync-error');

/**
 * An error of `@mister-smith/client` with a stable `code` and the HTTP `status` when there was one.
 * Recognised by a brand, not `instanceof`, so copies of the package agree.
 *
 * @example
 * try { await sync.ready } catch (e) { if (SyncError.is(e, 'UNAUTHORIZED')) askForToken() }
 */
export class SyncError extends Error {
  override readonly name = 'SyncError';
  readonly code: SyncErrorCode;
  readonly status: number | undefined;
  /** The code the server sent (e.g. `REVISION_EXPIRED`, `UNAUTHORIZED`), when it sent one. */
  readonly serverCode: string | undefined;
  readonly [BRAND] = true;

  constructor(code: SyncErrorCode, message: string, options: { cause?: unknown; status?: number; serverCode?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.serverCode = options.serverCode;
  }

  /** True when `e` is a SyncError, optionally with `code`. */
  static is(e: unknown, code?: SyncErrorCode): e is SyncError {
    if (typeof e !== 'object' || e === null || (e as Record<PropertyKey, unknown>)[BRAND] !== true) return false;
    return code === undefined || (e as SyncError).code === code;
  }
}
