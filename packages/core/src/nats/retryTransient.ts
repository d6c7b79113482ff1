import { MisterSmithError } from '../errors/MisterSmithError.js';
import { isTransientNatsError } from './natsErrors.js';

/**
 * Runs `fn`, retrying NATS failures that pass (timeouts, no responders while a stream leader is
 * re-elected, about 3 s in a 3-node cluster) with exponential backoff, up to `attempts` times.
 * Anything else, and the last failure, is rethrown.
 */
export async function retryTransient<T>(fn: () => Promise<T>, options: { attempts?: number; baseMs?: number } = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const transient = isTransientNatsError(e) || MisterSmithError.is(e, 'TIMEOUT') || (MisterSmithError.is(e, 'NATS_UNAVAILABLE') && isTransientNatsError(e.cause));
      if (!transient || attempt >= attempts) throw e;
      await new Promise((r) => setTimeout(r, Math.min(3000, (options.baseMs ?? 100) * 2 ** attempt)));
    }
  }
}
