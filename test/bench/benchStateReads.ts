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

  // readAll: the agent's rows from PostgreSQL (one statement, batched with concurrent loads) and the
  // subject's head from the stream, at once; the agents are flushed, so there is no tail to read.
  progress(`state: readAll of ${agents} agents x ${keys} keys vs raw SELECT of the agent's rows, ${workers} in flight and 1 in flight`);
  const allReader = await createStateStore(env, { writerId: 'bench-readall', cache: { maxEntries: 0 }, watch: false });
  const rawPool = new pg.Pool({ connectionString: env.databaseUrl, max: 8 });
  const selectRows = (i: number) => rawPool.query({ name: 'bench_select_agent', text: 'SELECT * FROM agents.state WHERE agent_id = $1', values: [`rd-a${i % agents}`] });
  let all: { readAll: { perSecond: number }; select: { perSecond: number } };
  let allLat;
  try {
    const probe = await allReader.readAll('rd-a0');
    if (Object.keys(probe).length !== keys) throw new Error(`readAll of rd-a0 returned ${Object.keys(probe).length} keys, not ${keys}`);
    all = await runInterleaved(rounds, {
      readAll: () => measureThroughput({ workers, durationMs }, (w, n) => allReader.readAll(`rd-a${(w + n) % agents}`)),
      select: () => measureThroughput({ workers, durationMs }, (w, n) => selectRows(w + n)),
    }, (line) => progress(`state: readAll agents/s: ${line}`));
    allLat = await measureLatencies(samples, { readAll: (i) => allReader.readAll(`rd-a${i % agents}`), select: (i) => selectRows(i) });
  } finally {
    await rawPool.end();
    await allReader.close();
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
    { name: 'KV-hit read latency p50 (L1 off)', value: lat.hit.p50, unit: 'ms', better: 'lower', baseline: { name: 'raw kv.get p50', value: lat.raw.p50 }, goal: { ratioAtMost: 1.1 }, detail: `p99 ${lat.hit.p99.toFixed(3)} ms vs raw ${lat.raw.p99.toFixed(3)} ms` },
    { name: `readAll agents/s (${keys} keys each, ${workers} in flight)`, value: all.readAll.perSecond, unit: 'agents/s', baseline: { name: `raw SELECT of the agent's rows, ${workers} in flight (pool of 8)`, value: all.select.perSecond }, goal: { ratioAtLeast: 0.5 },
      detail: `${agents} flushed agents (no stream tail); readAll = one PostgreSQL statement shared by the loads in flight + one stream request (the subject's head), at once; ${rounds} interleaved windows of ${durationMs} ms` },
    { name: 'readAll latency p50 (1 in flight)', value: allLat.readAll.p50, unit: 'ms', better: 'lower', baseline: { name: 'raw SELECT of the agent\'s rows p50', value: allLat.select.p50 },
      detail: `p99 ${allLat.readAll.p99.toFixed(3)} ms vs raw ${allLat.select.p99.toFixed(3)} ms; alternating call by call` },
    { name: 'KV-miss read latency p50 (from PostgreSQL, hydrates KV)', value: lat.miss.p50, unit: 'ms', better: 'lower', baseline: { name: 'raw kv.get p50', value: lat.raw.p50 },
      detail: `raw PostgreSQL SELECT by primary key: p50 ${lat.pg.p50.toFixed(3)} ms, p99 ${lat.pg.p99.toFixed(3)} ms; ${samples} distinct keys, each read once` },
    { name: 'KV-miss read latency p99 (from PostgreSQL, hydrates KV)', value: lat.miss.p99, unit: 'ms', better: 'lower', baseline: { name: 'raw kv.get p99', value: lat.raw.p99 } },
  ];
}
