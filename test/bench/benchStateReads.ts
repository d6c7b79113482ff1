import { agentKvKey, createStateStore, frameworkTransaction, upsertStateRows } from '@mister-smith/core';
import type { TestEnv } from '@mister-smith/core/testing';
import pg from 'pg';
import type { BenchFigure, BenchOptions } from './BenchFigure.js';
import { benchPayload } from './benchPayload.js';
import { benchRows } from './benchRows.js';
import { measureLatencies } from './measureLatency.js';
import { measureThroughput } from './measureThroughput.js';
import { runInterleaved } from './runInterleaved.js';

/**
 * The read path: L1 hits per second next to raw `kv.get` per second (what each read would cost
 * without L1); a KV hit with L1 off, and a KV miss served from PostgreSQL (with lazy hydration
 * of KV), next to raw `kv.get` latency. Latencies alternate call by call with their baselines.
 */
export async function benchStateReads(env: TestEnv, opts: BenchOptions): Promise<BenchFigure[]> {
  const progress = opts.progress ?? (() => undefined);
  const agents = 16;
  const keys = 4;
  const workers = opts.quick ? 16 : 64;
  const durationMs = opts.quick ? 300 : 1000;
  const rounds = opts.quick ? 1 : 2;
  const samples = opts.quick ? 100 : 500;
  const rawKv = await env.nats.kvm.open(env.topology.buckets.agentState.bucket);
  const kvKeyOf = (i: number) => agentKvKey(`rd-a${i % agents}`, `k${Math.floor(i / agents) % keys}`);

  const writer = await createStateStore(env, { writerId: 'bench' });
  let l1: { perSecond: number };
  let raw: { perSecond: number };
  try {
    for (let a = 0; a < agents; a++) {
      for (let k = 0; k < keys; k++) {
        await writer.write(`rd-a${a}`, `k${k}`, benchPayload(k));
        const e = await writer.readEntry(`rd-a${a}`, `k${k}`);
        if (e?.source !== 'memory') throw new Error(`rd-a${a}/k${k} is not in L1 after the write (source ${e?.source}): the L1 figure would not measure L1`);
      }
    }
    ({ l1, raw } = await runInterleaved(rounds, {
      l1: () => measureThroughput({ workers, durationMs }, (w, n) => writer.read(`rd-a${(w + n) % agents}`, `k${n % keys}`)),
      raw: () => measureThroughput({ workers, durationMs }, (w, n) => rawKv.get(agentKvKey(`rd-a${(w + n) % agents}`, `k${n % keys}`))),
    }, (line) => progress(`state: reads/s, ${workers} in flight, ${durationMs} ms windows: ${line}`)));
  } finally {
    await writer.close();
  }

  progress(`state: read latency with L1 off, ${samples} samples each, alternating`);
  // Keys only PostgreSQL has: each read misses KV once, reads the row and hydrates KV.
  const rows = benchRows('miss-a', samples, 1, Date.now());
  await frameworkTransaction(env.pg.db, (trx) => upsertStateRows(trx, rows));
  const reader = await createStateStore(env, { writerId: 'bench-reader', cache: { maxEntries: 0 } });
  const client = new pg.Client({ connectionString: env.databaseUrl });
  await client.connect();
  let lat;
  try {
    lat = await measureLatencies(samples, {
      raw: (i) => rawKv.get(kvKeyOf(i)),
      hit: async (i) => {
        const e = await reader.readEntry(`rd-a${i % agents}`, `k${Math.floor(i / agents) % keys}`);
        if (e?.source !== 'kv') throw new Error(`a KV-hit read was served from ${e?.source ?? 'nowhere'}`);
      },
      miss: async (i) => {
        const e = await reader.readEntry(rows[i]!.agentId, rows[i]!.stateKey);
        if (e?.source !== 'postgres') throw new Error(`${rows[i]!.agentId}/${rows[i]!.stateKey} was served from ${e?.source ?? 'nowhere'}, not PostgreSQL`);
      },
      pg: (i) => client.query({ name: 'bench_select', text: 'SELECT * FROM agents.state WHERE agent_id = $1 AND state_key = $2', values: [`rd-a${i % agents}`, `k${i % keys}`] }),
    });
  } finally {
    await client.end();
    await reader.close();
  }

  return [
    { name: 'L1 hit reads', value: l1.perSecond, unit: 'reads/s', baseline: { name: `raw kv.get, ${workers} in flight`, value: raw.perSecond }, detail: `${workers} concurrent readers over ${agents * keys} keys, ${rounds} interleaved windows of ${durationMs} ms` },
    { name: 'KV-hit read latency p50 (L1 off)', value: lat.hit.p50, unit: 'ms', better: 'lower', baseline: { name: 'raw kv.get p50', value: lat.raw.p50 }, detail: `p99 ${lat.hit.p99.toFixed(3)} ms vs raw ${lat.raw.p99.toFixed(3)} ms` },
    { name: 'KV-miss read latency p50 (from PostgreSQL, hydrates KV)', value: lat.miss.p50, unit: 'ms', better: 'lower', baseline: { name: 'raw kv.get p50', value: lat.raw.p50 },
      detail: `raw PostgreSQL SELECT by primary key: p50 ${lat.pg.p50.toFixed(3)} ms, p99 ${lat.pg.p99.toFixed(3)} ms; ${samples} distinct keys, each read once` },
    { name: 'KV-miss read latency p99 (from PostgreSQL, hydrates KV)', value: lat.miss.p99, unit: 'ms', better: 'lower', baseline: { name: 'raw kv.get p99', value: lat.raw.p99 } },
  ];
}
