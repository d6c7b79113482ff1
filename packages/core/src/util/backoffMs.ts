/**
 * How a backoff delay is randomised: `none` (deterministic, for machines stepped by a simulated
 * clock), `full` (uniform in [0, ceiling]: spreads competing writers so one wins each round) or
 * `equal` (uniform in [ceiling/2, ceiling]: never retries at once).
 */
export type Jitter = 'none' | 'full' | 'equal';

/**
 * Delay before retry number `attempt` (1-based): `baseMs * 2^(attempt-1)` capped at `maxMs`,
 * randomised by `jitter`. The one exponential backoff of the project; loops that retry a call use
 * `retryTransient` (p-retry) instead of their own loop.
 *
 * @example
 * backoffMs(3, { baseMs: 100, maxMs: 1_000 }); // 400
 */
export function backoffMs(attempt: number, options: { readonly baseMs: number; readonly maxMs: number; readonly jitter?: Jitter }): number {
  const n = Math.max(1, Math.floor(attempt));
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(n - 1, 30));
  switch (options.jitter ?? 'none') {
    case 'full': return Math.random() * ceiling;
    case 'equal': return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    default: return ceiling;
  }
}
