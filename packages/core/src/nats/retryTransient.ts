import { MisterSmithError } from '../errors/MisterSmithError.js';
import { isTransientNatsError } from './natsErrors.js';

/** How long transient failures are retried: a leader election (about 3 s) fits with room to spare. */
export const RETRY_BUDGET_MS = 10_000;

/**
 * Runs `fn`, retrying NATS failures that pass (timeouts, no responders while a stream leader is
 * re-elected, about 3 s in a 3-node cluster) with exponential backoff, up to `attempts` times.
 * Anything else, and the last failure, is rethrown.
 */
export async function retryTransient<T>(fn: () => Promise<T>, options: { attempts?: number; baseMs?: number; budgetMs?: number } = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  const deadline = Date.now() + (options.budgetMs ?? RETRY_BUDGET_MS);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const transient = isTransientNatsError(e) || MisterSmithError.is(e, 'TIMEOUT') || (MisterSmithError.is(e, 'NATS_UNAVAILABLE') && isTransientNatsError(e.cause));
      const pause = Math.min(3000, (options.baseMs ?? 100) * 2 ** attempt);
      // Bounded in time as well as in count: a server that stays away is an error, not a hang.
      if (!transient || attempt >= attempts || Date.now() + pause > deadline) throw e;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
