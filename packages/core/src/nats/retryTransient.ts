import pRetry from 'p-retry';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { isTransientNatsError } from './natsErrors.js';
import { sleep } from '../util/sleep.js';

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
  const attempts = options.attempts ?? 6;
  const budgetMs = options.budgetMs ?? RETRY_BUDGET_MS;
  const started = Date.now();
  // The first call runs without p-retry: it costs ~40x a plain call (it sits on every KV write of
  // the state store), and the first attempt nearly always succeeds.
  try {
    return await fn();
  } catch (e) {
    if (attempts <= 1 || !retryIf(e)) throw e;
  }
  // The pauses are this module's as before: twice the base, then doubling (p-retry's minTimeout is its first pause).
  const maxMs = options.maxMs ?? 3000;
  await sleep(Math.min(baseMs * 2, maxMs));
  return pRetry(() => fn(), {
    retries: Math.max(0, attempts - 2),
    minTimeout: Math.min(baseMs * 4, maxMs),
    factor: 2,
    maxTimeout: maxMs,
    maxRetryTime: Math.max(0, budgetMs - (Date.now() - started)),
    shouldRetry: ({ error }) => retryIf(error),
  });
}
