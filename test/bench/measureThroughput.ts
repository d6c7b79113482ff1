/** How many operations ran in a measurement window, and their rate. */
export interface Throughput {
  readonly ops: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** Options of `measureThroughput`: concurrency and the length of the window. */
export interface ThroughputOptions {
  /** Concurrent loops; each has one operation in flight at a time. */
  readonly workers: number;
  readonly durationMs: number;
}

/**
 * Runs `op` in `workers` concurrent loops until `durationMs` has passed, and counts completed
 * operations over the time until the last loop finished (so the tail of in-flight operations
 * is included). The first failure stops every loop and is rethrown once all have stopped.
 *
 * @example
 * const t = await measureThroughput({ workers: 64, durationMs: 3000 }, (w, n) => kv.put(`k${w}`, bytes));
 * console.log(t.perSecond);
 */
export async function measureThroughput(options: ThroughputOptions, op: (worker: number, n: number) => Promise<unknown>): Promise<Throughput> {
  let ops = 0;
  let failed = false;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const loops = Array.from({ length: options.workers }, async (_, worker) => {
    for (let n = 0; !failed && performance.now() < deadline; n++) {
      try {
        await op(worker, n);
      } catch (e) {
        failed = true;
        throw e;
      }
      ops++;
    }
  });
  const settled = await Promise.allSettled(loops);
  const seconds = (performance.now() - started) / 1000;
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return { ops, seconds, perSecond: ops / seconds };
}
