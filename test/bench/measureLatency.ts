/** Percentiles of a latency sample, in milliseconds. */
export interface Latency {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

/** The `q`-quantile (0..1) of ascending `sorted` values, nearest rank. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

function summarize(times: number[]): Latency {
  times.sort((a, b) => a - b);
  return { samples: times.length, p50: percentile(times, 0.5), p99: percentile(times, 0.99), mean: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length) };
}

/**
 * Times `samples` sequential calls of each op (one call in flight at a time), alternating the
 * ops call by call (rotating who goes first), so that every op sees the same machine load.
 * Returns p50, p99 and mean in ms per op.
 *
 * @example
 * const l = await measureLatencies(500, { store: (i) => store.read('a', `k${i}`), raw: (i) => kv.get(`a.k${i}`) });
 * l.store.p50 / l.raw.p50;
 */
export async function measureLatencies<K extends string>(samples: number, ops: Record<K, (i: number) => Promise<unknown>>): Promise<Record<K, Latency>> {
  const names = Object.keys(ops) as K[];
  const times = new Map<K, number[]>(names.map((n) => [n, []]));
  for (let i = 0; i < samples; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]!;
      const t0 = performance.now();
      await ops[name](i);
      times.get(name)!.push(performance.now() - t0);
    }
  }
  return Object.fromEntries(names.map((n) => [n, summarize(times.get(n)!)])) as Record<K, Latency>;
}
