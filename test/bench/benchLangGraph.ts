import pg from 'pg';
import { uuid6, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import type { TestEnv } from '@mister-smith/core/testing';
import { MisterSmithSaver, deprovisionLangGraph } from '@mister-smith/langgraph';
import type { BenchFigure, BenchOptions } from './BenchFigure.js';
import { measureThroughput } from './measureThroughput.js';
import { runInterleaved } from './runInterleaved.js';

type Saver = MisterSmithSaver | PostgresSaver;

/** A checkpoint like a chat graph's: a ~2 KB message list and a step counter, both changed by every step. */
function step(n: number): { checkpoint: Checkpoint; versions: Record<string, number> } {
  const versions = { messages: n + 1, step: n + 1 };
  const messages = Array.from({ length: 8 }, (_, i) => ({ role: i % 2 ? 'ai' : 'human', content: `message ${n}-${i} `.padEnd(240, 'x') }));
  return { checkpoint: { v: 4, id: uuid6(3), ts: new Date().toISOString(), channel_values: { messages, step: n }, channel_versions: versions, versions_seen: { agent: { messages: n } } }, versions };
}

const meta = (n: number): CheckpointMetadata => ({ source: 'loop', step: n, parents: {} });

/** Appends one checkpoint to a thread's chain (each worker owns its thread, like one graph run). */
function chainWriter(saver: Saver, prefix: string) {
  const heads = new Map<number, RunnableConfig>();
  return async (worker: number, n: number) => {
    const { checkpoint, versions } = step(n);
    const config = heads.get(worker) ?? { configurable: { thread_id: `${prefix}-${worker}`, checkpoint_ns: '' } };
    heads.set(worker, await saver.put(config, checkpoint, meta(n), versions));
  };
}

/**
 * The LangGraph section (issue 14): MisterSmithSaver against the upstream PostgresSaver on the
 * same PostgreSQL in the same run, interleaved: `put` sequential and with 16 graphs writing
 * concurrently (each its own thread), at both durability levels; `getTuple` of a thread's latest
 * checkpoint; `list` of a thread of 100 checkpoints.
 */
export async function benchLangGraph(env: TestEnv, opts: BenchOptions): Promise<BenchFigure[]> {
  const progress = opts.progress ?? (() => undefined);
  const durationMs = opts.quick ? 150 : 1000;
  const rounds = opts.quick ? 1 : 3;
  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 16 });
  const upstream = new PostgresSaver(pool, undefined, { schema: 'langgraph_upstream' });
  const ours = await MisterSmithSaver.open({ nats: env.nats, pg: env.pg, namespace: env.namespace, profile: 'test' });
  const oursPg = new MisterSmithSaver({ nats: env.nats, pg: env.pg, namespace: env.namespace, profile: 'test', durability: 'postgres' });
  const oursBg = new MisterSmithSaver({ nats: env.nats, pg: env.pg, namespace: env.namespace, profile: 'test', kvWrite: 'background' });
  const figures: BenchFigure[] = [];
  try {
    await upstream.setup();
    await oursPg.setup();
    await oursBg.setup();
    for (const workers of [1, 16]) {
      const label = workers === 1 ? 'sequential' : `${workers} concurrent threads`;
      // Every window writes fresh threads: chains of equal length for everyone.
      let window = 0;
      const run = (saver: Saver, name: string) => () => measureThroughput({ workers, durationMs }, chainWriter(saver, `${name}-${workers}-${window++}`));
      const r = await runInterleaved(rounds, {
        upstream: run(upstream, 'up'),
        jetstream: run(ours, 'js'),
        postgres: run(oursPg, 'pg'),
        background: run(oursBg, 'bg'),
      }, (line) => progress(`langgraph put ${label}: ${line}`));
      const baseline = { name: `PostgresSaver put, ${label}`, value: r.upstream.perSecond };
      figures.push({ name: `MisterSmithSaver put, ${label} (durability jetstream)`, value: r.jetstream.perSecond, unit: 'puts/s', baseline, goal: { ratioAtLeast: 3 } });
      figures.push({ name: `MisterSmithSaver put, ${label} (durability jetstream, kvWrite background)`, value: r.background.perSecond, unit: 'puts/s', baseline, goal: { ratioAtLeast: 3 } });
      figures.push({ name: `MisterSmithSaver put, ${label} (durability postgres)`, value: r.postgres.perSecond, unit: 'puts/s', baseline, goal: { ratioAtLeast: 1 } });
    }

    // Reads: one thread of 100 checkpoints in each saver.
    const size = 100;
    for (const saver of [upstream, ours] as Saver[]) {
      let config: RunnableConfig = { configurable: { thread_id: 'read-thread', checkpoint_ns: '' } };
      for (let n = 0; n < size; n++) {
        const { checkpoint, versions } = step(n);
        config = await saver.put(config, checkpoint, meta(n), versions);
      }
    }
    await ours.flush();
    const latest: RunnableConfig = { configurable: { thread_id: 'read-thread', checkpoint_ns: '' } };
    const listAll = async (saver: Saver) => {
      let n = 0;
      for await (const _ of saver.list(latest)) n++;
      if (n !== size) throw new Error(`list returned ${n} checkpoints, expected ${size}`);
    };
    const gets = await runInterleaved(rounds, {
      upstream: () => measureThroughput({ workers: 1, durationMs }, () => upstream.getTuple(latest)),
      ours: () => measureThroughput({ workers: 1, durationMs }, () => ours.getTuple(latest)),
    }, (line) => progress(`langgraph getTuple: ${line}`));
    figures.push({ name: 'MisterSmithSaver getTuple (latest), sequential', value: gets.ours.perSecond, unit: 'reads/s', baseline: { name: 'PostgresSaver getTuple (latest)', value: gets.upstream.perSecond }, goal: { ratioAtLeast: 1 } });
    const lists = await runInterleaved(rounds, {
      upstream: () => measureThroughput({ workers: 1, durationMs }, () => listAll(upstream)),
      ours: () => measureThroughput({ workers: 1, durationMs }, () => listAll(ours)),
    }, (line) => progress(`langgraph list: ${line}`));
    figures.push({
      name: `MisterSmithSaver list (thread of ${size} checkpoints)`, value: lists.ours.perSecond, unit: 'lists/s',
      baseline: { name: `PostgresSaver list (thread of ${size})`, value: lists.upstream.perSecond },
      detail: 'checkpoints of ~2 KB (8 messages + a counter, both changed every step); put figures: one graph thread per writer',
    });
  } finally {
    await ours.close();
    await oursPg.close();
    await oursBg.close();
    await deprovisionLangGraph(env.nats, ours.topology);
    await pool.end();
  }
  return figures;
}
