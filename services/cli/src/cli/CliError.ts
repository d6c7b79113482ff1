/** Failures the CLI itself reports (beyond the core package's `MisterSmithError` codes). */
export type CliErrorCode =
  /** A piece the command needs is not built yet. */
  | 'NOT_AVAILABLE'
  /** No service (supervisor, projector) answers its request/reply API in this namespace. */
  | 'NOT_RUNNING'
  /** Bad command-line usage (unknown option, missing argument). */
  | 'USAGE'
  /** `doctor` found problems. */
  | 'CHECK_FAILED';

const BRAND = Symbol.for('mister-smith.cli-error');

/**
 * An error of the `mister-smith` CLI with a stable `code`. Like `MisterSmithError`, recognised by
 * a brand rather than `instanceof`, so copies of the package agree.
 *
 * @example
 * throw notAvailable('the supervisor request/reply API (services/supervisor)');
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;
  /** Exit status of the process when this error ends a command. */
  readonly exitCode: number;
  readonly [BRAND] = true;

  constructor(code: CliErrorCode, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? (code === 'USAGE' ? 2 : 1);
  }

  /** True when `e` is a CliError, optionally with `code`. */
  static is(e: unknown, code?: CliErrorCode): e is CliError {
    if (typeof e !== 'object' || e === null || (e as Record<PropertyKey, unknown>)[BRAND] !== true) return false;
    return code === undefined || (e as CliError).code === code;
  }
}

/** The error of a command whose building block is not there yet: `not available yet: <what>`. */
export function notAvailable(what: string): CliError {
  return new CliError('NOT_AVAILABLE', `not available yet: ${what}`);
}
