import { createStateStore, MisterSmithError, type SharedStateBucket, type StateStore, type StrategyName } from '@mister-smith/core';
import type { TestEnv } from '@mister-smith/core/testing';
import { HybridLogicalClock, strategyFor } from '@mister-smith/crdt';
import type { BenchFigure, BenchOptions } from './BenchFigure.js';
import { benchPayload } from './benchPayload.js';
import type { RawKv } from './RawKv.js';
import { measureThroughput } from './measureThroughput.js';
import { runInterleaved } from './runInterleaved.js';

const STRATEGIES: readonly StrategyName[] = ['lww', 'vclock', 'crdt'];
const MODES = ['one key', 'disjoint keys'] as const;

/**
 * The conflict section (issue 3): `saveState` writes per second on the AGENT_CONFIG bucket per
 * strategy, with 1, 4 and 16 writers (each its own NATS connection and store, one write in
 * flight per writer), all on one key or each on its own key, next to raw `kv.put` from the same
 * writers in the same run.
 */
export async function benchConflicts(env: TestEnv, opts: BenchOptions): Promise<BenchFigure[]> {
  const progress = opts.progress ?? (() => undefined);
  const writerCounts = [1, 4, 16];
  // Short windows in many rounds: one writer is latency-bound, and latency on a shared machine drifts.
  const durationMs = opts.quick ? 150 : 400;
  const rounds = opts.quick ? 1 : 3;
  const bucket = env.topology.buckets.agentConfig.bucket;
  const maxWriters = Math.max(...writerCounts);
  const writers: { store: StateStore; shared: SharedStateBucket; raw: RawKv; close(): Promise<void> }[] = [];
  const encoder = new TextEncoder();
  // Raw writes carry the bytes of a real LWW entry.
  const rawBytes = encoder.encode(JSON.stringify({ strategy: 'lww', stored: strategyFor('lww').prepare(benchPayload(0), { writer: 'w0', clock: new HybridLogicalClock('w0') }, undefined) }));
  const figures: BenchFigure[] = [];
  try {
    for (let i = 0; i < maxWriters; i++) {
      const nats = await env.connect();
      const store = await createStateStore({ nats, pg: env.pg, topology: env.topology }, { writerId: `w${i}`, watch: false, cache: { maxEntries: 0 } });
      writers.push({ store, shared: await store.shared('agentConfig'), raw: await nats.kvm.open(bucket), close: () => store.close() });
    }
    for (const count of writerCounts) {
      for (const mode of MODES) {
        const keyOf = (prefix: string, w: number) => (mode === 'one key' ? `${prefix}-w${count}-one` : `${prefix}-w${count}-d${w}`);
        const stats = Object.fromEntries(STRATEGIES.map((s) => [s, { attempts: 0, merged: 0, exhausted: 0 }])) as Record<StrategyName, { attempts: number; merged: number; exhausted: number }>;
        const saveWindow = (strategy: StrategyName) => async () => {
          const st = stats[strategy];
          let exhausted = 0;
          const t = await measureThroughput({ workers: count, durationMs }, async (w, n) => {
            try {
              const r = await writers[w]!.shared.saveState(keyOf(strategy, w), benchPayload(n, `w${w}`), { strategy });
              st.attempts += r.attempts;
              if (r.merged) st.merged++;
            } catch (e) {
              // A write that lost every race is an outcome of contention, reported with the figure.
              if (!MisterSmithError.is(e, 'RETRIES_EXHAUSTED')) throw e;
              exhausted++;
            }
          });
          st.exhausted += exhausted;
          return { ops: t.ops - exhausted, seconds: t.seconds };
        };
        // Agent-state writes (event + KV + write-behind), each writer on its own agent: disjoint only
        // (writers of one agent race for its stream sequence, which the owner model avoids).
        const storeWindow = (strategy: StrategyName) => () => measureThroughput({ workers: count, durationMs }, (w, n) =>
          writers[w]!.store.write(`bench-w${count}-a${w}`, `${strategy}-state`, benchPayload(n, `w${w}`), { strategy }));
        const contenders: Record<string, () => Promise<{ ops: number; seconds: number }>> = {
          raw: () => measureThroughput({ workers: count, durationMs }, (w) => writers[w]!.raw.put(keyOf('raw', w), rawBytes)),
          lww: saveWindow('lww'),
          vclock: saveWindow('vclock'),
          crdt: saveWindow('crdt'),
          ...(mode === 'disjoint keys' ? { lwwStore: storeWindow('lww'), crdtStore: storeWindow('crdt') } : {}),
        };
        const r = await runInterleaved(rounds, contenders, (line) => progress(`conflict: ${count} writer(s), ${mode}, ${durationMs} ms windows: ${line}`));
        const writersText = `${count} writer${count > 1 ? 's' : ''}`;
        for (const strategy of STRATEGIES) {
          const st = stats[strategy];
          const done = r[strategy]!.ops;
          figures.push({
            name: `${strategy} saveState, ${writersText}, ${mode}`, value: r[strategy]!.perSecond, unit: 'writes/s',
            baseline: { name: `raw kv.put, ${writersText}, ${mode}`, value: r['raw']!.perSecond },
            detail: `${(st.attempts / Math.max(1, done)).toFixed(2)} attempts/write, ${st.merged} merged, ${st.exhausted} gave up after 50 attempts`,
          });
        }
        if (mode === 'disjoint keys') {
          // Issue 13: Automerge writes against LWW writes of the same payload, same run.
          figures.push({
            name: `crdt saveState vs lww saveState, ${writersText}, disjoint keys`, value: r['crdt']!.perSecond, unit: 'writes/s',
            baseline: { name: `lww saveState, ${writersText}, disjoint keys`, value: r['lww']!.perSecond }, goal: { ratioAtLeast: 0.3 },
          });
          const lwwStore = r['lwwStore']!;
          const crdtStore = r['crdtStore']!;
          figures.push({
            name: `crdt store.write vs lww store.write, ${writersText}, own agent each`, value: crdtStore.perSecond, unit: 'writes/s',
            baseline: { name: `lww store.write, ${writersText}, own agent each`, value: lwwStore.perSecond }, goal: { ratioAtLeast: 0.3 },
            detail: 'agent-state writes (StateChanged event with the incremental Automerge change, KV entry with the document, write-behind row), the payload of the other figures',
          });
        }
      }
    }
  } finally {
    for (const w of writers) await w.close();
  }
  return figures;
}
