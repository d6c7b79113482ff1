/** Why `Wakeup.wait` returned. */
export type WakeReason = 'woken' | 'timeout';

/**
 * An interruptible sleep with one pending timer at most: `wait(ms)` resolves after `ms` or as soon
 * as `wake()` is called (a wake that arrives while nobody waits is kept for the next wait).
 */
export class Wakeup {
  #pending = false;
  #timer: NodeJS.Timeout | undefined;
  #resolve: ((reason: WakeReason) => void) | undefined;

  wake(): void {
    if (this.#resolve) this.#settle('woken');
    else this.#pending = true;
  }

  wait(ms: number): Promise<WakeReason> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve('woken');
    }
    this.#settle('woken');
    return new Promise<WakeReason>((resolve) => {
      this.#resolve = resolve;
      this.#timer = setTimeout(() => this.#settle('timeout'), ms);
    });
  }

  #settle(reason: WakeReason): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const r = this.#resolve;
    this.#resolve = undefined;
    r?.(reason);
  }
}
