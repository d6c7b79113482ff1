import { createStateStore, type Durability } from '@mister-smith/core';
import type { TestEnv } from '@mister-smith/core/testing';
import type { BenchFigure, BenchOptions } from './BenchFigure.js';
import { benchPayload } from './benchPayload.js';
import { measureThroughput } from './measureThroughput.js';
import { runInterleaved } from './runInterleaved.js';

/**
 * Group commit (issue 13): writes acknowledged after their PostgreSQL commit (`durability:
 * 'postgres'`, concurrent writers sharing flush transactions) next to the default durability
 * (acknowledged after the JetStream append), at 16 and 64 writers in flight, in interleaved
 * windows of the same run. Goal: >= 0.8x of the default.
 */
export async function benchGroupCommit(env: TestEnv, opts: BenchOptions): Promise<BenchFigure[]> {
  const durationMs = opts.quick ? 300 : 1500;
  const rounds = opts.quick ? 1 : 3;
  const figures: BenchFigure[] = [];
  for (const writers of [16, 64]) {
    const window = (durability: Durability, prefix: string) => async () => {
      const store = await createStateStore(env, { writerId: 'bench-gc', durability });
      await Promise.all(Array.from({ length: writers }, (_, w) => store.write(`${prefix}${w}`, 'k0', benchPayload(0))));
      await store.flush();
      const t = await measureThroughput({ workers: writers, durationMs }, (w, n) => store.write(`${prefix}${w}`, `k${n % 4}`, benchPayload(n)));
      await store.close();
      return t;
    };
    const r = await runInterleaved(rounds, { postgres: window('postgres', `gcp${writers}-`), jetstream: window('jetstream', `gcj${writers}-`) },
      (line) => opts.progress?.(`group commit, ${writers} in flight: ${line}`));
    figures.push({
      name: `postgres-durable writes (${writers} in flight, group commit)`, value: r.postgres.perSecond, unit: 'writes/s',
      baseline: { name: 'default durability (JetStream ack), same run', value: r.jetstream.perSecond },
      goal: { ratioAtLeast: 0.8 },
      detail: `${rounds} interleaved windows of ${durationMs} ms each; one agent per writer, 4 keys`,
    });
  }
  return figures;
}
