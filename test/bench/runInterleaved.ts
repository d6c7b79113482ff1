import { collectGarbage } from './collectGarbage.js';
import type { Throughput } from './measureThroughput.js';

/** Runs one measurement window and says how many operations it did. */
export type Window = (round: number) => Promise<{ readonly ops: number; readonly seconds: number }>;

/**
 * Runs every contender's window once per round, rotating who goes first, and adds up
 * operations and time per contender. On a shared machine the load drifts; interleaving short
 * windows makes a figure and its baseline see the same drift, so their ratio holds better than
 * with back-to-back runs.
 *
 * @example
 * const r = await runInterleaved(3, { store: () => measureThroughput(...), raw: () => measureThroughput(...) });
 * r.store.perSecond / r.raw.perSecond;
 */
export async function runInterleaved<K extends string>(rounds: number, contenders: Record<K, Window>, progress?: (line: string) => void): Promise<Record<K, Throughput>> {
  const names = Object.keys(contenders) as K[];
  const totals = new Map<K, { ops: number; seconds: number }>(names.map((n) => [n, { ops: 0, seconds: 0 }]));
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(round + i) % names.length]!);
    progress?.(`round ${round + 1}/${rounds}: ${order.join(', ')}`);
    for (const name of order) {
      collectGarbage();
      const r = await contenders[name](round);
      const t = totals.get(name)!;
      t.ops += r.ops;
      t.seconds += r.seconds;
    }
  }
  return Object.fromEntries(names.map((n) => {
    const t = totals.get(n)!;
    return [n, { ops: t.ops, seconds: t.seconds, perSecond: t.ops / t.seconds }];
  })) as Record<K, Throughput>;
}
