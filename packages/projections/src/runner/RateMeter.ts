/** Events per second over a sliding window, from counts added as they happen. */
export class RateMeter {
  readonly #windowMs: number;
  #samples: { t: number; n: number }[] = [];

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  add(n: number, now = Date.now()): void {
    if (n <= 0) return;
    this.#samples.push({ t: now, n });
    this.#prune(now);
  }

  perSecond(now = Date.now()): number {
    this.#prune(now);
    const total = this.#samples.reduce((s, x) => s + x.n, 0);
    return Math.round((total * 1000) / this.#windowMs);
  }

  #prune(now: number): void {
    const cut = now - this.#windowMs;
    let i = 0;
    while (i < this.#samples.length && this.#samples[i]!.t < cut) i++;
    if (i > 0) this.#samples.splice(0, i);
  }
}
