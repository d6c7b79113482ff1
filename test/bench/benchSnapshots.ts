import { foldHistory, snapshotAgent } from '@mister-smith/actors';
import { createStateStore, stateChanged } from '@mister-smith/core';
import type { BenchFigure, BenchSection } from './BenchFigure.js';

const KEYS = 10;

async function timed<T>(fn: () => Promise<T>, runs = 3): Promise<{ ms: number; value: T }> {
  let best = Infinity;
  let value: T | undefined;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    value = await fn();
    best = Math.min(best, performance.now() - t);
  }
  return { ms: Math.round(best * 100) / 100, value: value as T };
}

/**
 * Activation cost against history length (issue 16): for agents with 10, 1,000 and 10,000 state
 * events (10 keys), the time to rebuild an agent's state at its head
 * - by the history fold (`--at`, fork): without a snapshot (the whole history, the baseline) and
 *   from the latest snapshot (snapshot plus an empty tail);
 * - by hydration (what activation runs): from the stream alone (PostgreSQL has no row yet, the
 *   baseline) and from the flushed `agents.state` rows plus the tail after them.
 * Best of 3 runs each.
 */
export const benchSnapshots: BenchSection['run'] = async (env, opts) => {
  const sizes = opts.quick ? [10, 100, 1_000] : [10, 1_000, 10_000];
  const log = env.logs.agentState;
  const figures: BenchFigure[] = [];
  const store = await createStateStore(env, { writerId: 'bench-snapshots', cache: { maxEntries: 0 } });
  try {
    for (const n of sizes) {
      const agentId = `hist-${n}`;
      for (let i = 0; i < n; i += 500) {
        const batch = Array.from({ length: Math.min(500, n - i) }, (_, j) => stateChanged(agentId, { key: `k${(i + j) % KEYS}`, op: 'put', value: { i: i + j }, stored: null, strategy: 'lww', writer: 'bench' }));
        await log.appendBatch(batch);
      }
      opts.progress?.(`snapshots: ${n} events appended for ${agentId}`);
      const head = { seq: Number.MAX_SAFE_INTEGER };
      const whole = await timed(() => foldHistory({ log, pg: env.pg, useSnapshots: false }, agentId, head));
      await snapshotAgent({ log, pg: env.pg }, agentId);
      const fromSnapshot = await timed(() => foldHistory({ log, pg: env.pg }, agentId, head));
      if (JSON.stringify(whole.value.state) !== JSON.stringify(fromSnapshot.value.state)) throw new Error(`snapshot fold of ${agentId} differs from the whole fold`);
      figures.push(
        { name: `snapshots.fold_from_snapshot.${n}_events`, value: fromSnapshot.ms, unit: 'ms', better: 'lower', baseline: { name: `snapshots.fold_without_snapshot.${n}_events`, value: whole.ms }, detail: `${fromSnapshot.value.events} events after the snapshot; the baseline folds all ${whole.value.events}` },
      );
      // Hydration: the first one reads the whole tail from the stream (and flushes what it repaired);
      // later ones start from the agents.state rows.
      const fromStream = await timed(() => store.hydrateAgent(agentId), 1);
      const fromRows = await timed(() => store.hydrateAgent(agentId));
      figures.push(
        { name: `snapshots.hydrate_from_rows.${n}_events`, value: fromRows.ms, unit: 'ms', better: 'lower', baseline: { name: `snapshots.hydrate_from_stream.${n}_events`, value: fromStream.ms }, detail: `${fromRows.value.keys} keys; the baseline repairs ${fromStream.value.repaired} keys from the stream` },
      );
    }
  } finally {
    await store.close();
  }
  return figures;
};
