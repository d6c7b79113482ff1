/** Failures the CLI itself reports (beyond the core package's `MisterSmithError` codes). */
export type CliErrorCode =
  /** No service (supervisor, projector) answers its request/reply API in this namespace. */
  | 'NOT_RUNNING'
  /** Bad command-line usage (unknown option, missing argument). */
  | 'USAGE'
  /** `doctor` found problems. */
  | 'CHECK_FAILED'
  /** A `--load` module could not be found or threw while loading. */
  | 'LOAD_FAILED';

const BRAND = Symbol.for('mister-smith.cli-error');

/**
 * An error of the `mister-smith` CLI with a stable `code`. Like `MisterSmithError`, recognised by
 * a brand rather than `instanceof`, so copies of the package agree.
 *
 * @example
 * throw new CliError('NOT_RUNNING', 'no supervisor is running: start one with "mister-smith up"');
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
