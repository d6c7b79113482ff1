import { sleep } from '@mister-smith/core/util';

/**
 * A token bucket: `take()` resolves when the next message may go, at most `perSecond` on average
 * with bursts up to `burst`. Client-side, since nats-server 2.9 refuses `rate_limit` on pull
 * consumers (and it counts bits per second there).
 */
export class RateLimiter {
  readonly #perSecond: number;
  readonly #burst: number;
  #tokens: number;
  #last = Date.now();

  constructor(perSecond: number, burst = Math.max(1, Math.ceil(perSecond / 10))) {
    this.#perSecond = perSecond;
    this.#burst = burst;
    this.#tokens = burst;
  }

  /** Waits for a token; returns early (without one) when `signal` aborts. */
  async take(signal?: AbortSignal): Promise<void> {
    if (!(this.#perSecond > 0) || !Number.isFinite(this.#perSecond)) return;
    for (;;) {
      const now = Date.now();
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#perSecond) / 1000);
      this.#last = now;
      if (this.#tokens >= 1) { this.#tokens -= 1; return; }
      if (signal?.aborted) return;
      await sleep(Math.ceil(((1 - this.#tokens) * 1000) / this.#perSecond), signal);
    }
  }
}
