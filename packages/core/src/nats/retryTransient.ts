import pRetry from 'p-retry';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { isTransientNatsError } from './natsErrors.js';

/** How long transient failures are retried: a leader election (about 3 s) fits with room to spare. */
export const RETRY_BUDGET_MS = 10_000;

/** Whether a failure passes on its own: a timeout or no responders while a stream leader is re-elected. */
function isTransient(e: unknown): boolean {
  return isTransientNatsError(e) || MisterSmithError.is(e, 'TIMEOUT') || (MisterSmithError.is(e, 'NATS_UNAVAILABLE') && isTransientNatsError(e.cause));
}

/**
 * Runs `fn`, retrying NATS failures that pass (timeouts, no responders while a stream leader is
 * re-elected, about 3 s in a 3-node cluster) with exponential backoff (p-retry), up to `attempts`
 * calls and bounded in time by `budgetMs`: a server that stays away is an error, not a hang.
 * Anything else, and the last failure, is rethrown as it was.
 */
export async function retryTransient<T>(fn: () => Promise<T>, options: { attempts?: number; baseMs?: number; budgetMs?: number; maxMs?: number; retryIf?: (e: unknown) => boolean } = {}): Promise<T> {
  const baseMs = options.baseMs ?? 100;
  const retryIf = options.retryIf ?? isTransient;
  return pRetry(() => fn(), {
    retries: Math.max(0, (options.attempts ?? 6) - 1),
    // p-retry's first pause is minTimeout; this module's has always been twice the base.
    minTimeout: baseMs * 2,
    factor: 2,
    maxTimeout: options.maxMs ?? 3000,
    maxRetryTime: options.budgetMs ?? RETRY_BUDGET_MS,
    shouldRetry: ({ error }) => retryIf(error),
  });
}
