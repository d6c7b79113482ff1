import { agentKvKey, createStateStore, namespacedSubject, type FlushReport } from '@mister-smith/core';
import type { TestEnv } from '@mister-smith/core/testing';
import type { BenchFigure, BenchOptions } from './BenchFigure.js';
import { benchPayload } from './benchPayload.js';
import type { RawKv } from './RawKv.js';
import { measureLatencies } from './measureLatency.js';
import { measureThroughput } from './measureThroughput.js';
import { runInterleaved } from './runInterleaved.js';

interface RawPayloads { readonly kv: Uint8Array; readonly event: Uint8Array }

/**
 * Write throughput of `createStateStore(env).write` (one agent per worker, all in flight at
 * once) next to the raw work it builds on: a `kv.put` and a `js.publish` of the same sizes,
 * issued together, on the same connection, bucket and stream, in interleaved windows. Also the
 * latency of one write with nothing else in flight, which shows the round trips a write takes.
 */
export async function benchStateWrites(env: TestEnv, opts: BenchOptions): Promise<BenchFigure[]> {
  const progress = opts.progress ?? (() => undefined);
  const agents = opts.quick ? 16 : 64;
  const keys = 4;
  const durationMs = opts.quick ? 300 : 1500;
  const rounds = opts.quick ? 1 : 3;
  const latencySamples = opts.quick ? 50 : 400;
  const stream = env.topology.streams.agentState.name;
  const rawKv = await env.nats.kvm.open(env.topology.buckets.agentState.bucket);
  const subjects = Array.from({ length: agents }, (_, w) => namespacedSubject(env.namespace, `agents.state.raw-a${w}`));

  // The bytes the store writes for one key and one event, so the raw path writes the same sizes.
  const probe = await createStateStore(env, { writerId: 'bench' });
  await probe.write('bench-a0', 'k0', benchPayload(0));
  await probe.close();
  const payloads = await storedPayloads(env, rawKv, stream);

  const flushes: FlushReport[] = [];
  const storeWindow = (prefix: string, keyCount: number, record: boolean, kvWrite: 'await' | 'background' = 'await') => async () => {
    // A fresh store per window (its KV watch would otherwise also receive the raw writes).
    const writer = await createStateStore(env, { writerId: 'bench', kvWrite });
    // Warm-up, not timed: an agent's first writes look up the stream head and the keys.
    await Promise.all(Array.from({ length: agents }, async (_, w) => {
      for (let k = 0; k < keyCount; k++) await writer.write(`${prefix}${w}`, `k${k}`, benchPayload(k));
    }));
    await writer.flush();
    const off = record ? writer.onFlush((r) => flushes.push(r)) : () => false;
    const t = await measureThroughput({ workers: agents, durationMs }, (w, n) => writer.write(`${prefix}${w}`, `k${n % keyCount}`, benchPayload(n)));
    off();
    await writer.close();
    return t;
  };
  const { store, storeOneKey, storeBackground, raw } = await runInterleaved(rounds, {
    store: storeWindow('bench-a', keys, true),
    storeOneKey: storeWindow('one-a', 1, false),
    storeBackground: storeWindow('bg-a', keys, false, 'background'),
    raw: () => measureThroughput({ workers: agents, durationMs }, (w, n) =>
      Promise.all([rawKv.put(`raw-a${w}.k${n % keys}`, payloads.kv), env.nats.js.publish(subjects[w]!, payloads.event)])),
  }, (line) => progress(`state: write throughput, ${agents} in flight, ${durationMs} ms windows: ${line}`));

  progress(`state: write latency, 1 in flight, ${latencySamples} samples each, alternating`);
  const latStore = await createStateStore(env, { writerId: 'bench-lat' });
  const latBackground = await createStateStore(env, { writerId: 'bench-lat-bg', kvWrite: 'background' });
  await latStore.write('lat-a0', 'k0', benchPayload(0));
  await latBackground.write('latbg-a0', 'k0', benchPayload(0));
  const latSubject = namespacedSubject(env.namespace, 'agents.state.rawlat-a0');
  const lat = await measureLatencies(latencySamples, {
    store: (i) => latStore.write('lat-a0', 'k0', benchPayload(i)),
    background: (i) => latBackground.write('latbg-a0', 'k0', benchPayload(i)),
    raw: () => Promise.all([rawKv.put('rawlat-a0.k0', payloads.kv), env.nats.js.publish(latSubject, payloads.event)]),
  });
  await latStore.close();
  await latBackground.close();

  const flushedRows = flushes.reduce((a, f) => a + f.rows, 0);
  const flushMs = flushes.reduce((a, f) => a + f.durationMs, 0);
  return [
    {
      name: `write throughput (${agents} agents x ${keys} keys, ${agents} in flight)`, value: store.perSecond, unit: 'writes/s',
      baseline: { name: 'raw kv.put + js.publish, pipelined', value: raw.perSecond },
      goal: { ratioAtLeast: 0.7 },
      detail: `${rounds} interleaved windows of ${durationMs} ms each; KV entry ${payloads.kv.length} B, event ${payloads.event.length} B; ` +
        `write-behind flushes during the windows: ${flushes.length}, mean ${flushes.length ? Math.round(flushedRows / flushes.length) : 0} rows, ` +
        `${flushMs > 0 ? Math.round(flushedRows / (flushMs / 1000)) : 0} rows/s while flushing`,
    },
    {
      name: `write throughput (${agents} agents x 1 key, ${agents} in flight)`, value: storeOneKey.perSecond, unit: 'writes/s',
      baseline: { name: 'raw kv.put + js.publish, pipelined', value: raw.perSecond },
      goal: { ratioAtLeast: 0.7 },
      detail: 'each agent writes one key only: no append of another key of the same agent comes between two writes of a key',
    },
    {
      name: `write throughput, kvWrite 'background' (${agents} agents x ${keys} keys)`, value: storeBackground.perSecond, unit: 'writes/s',
      baseline: { name: 'raw kv.put + js.publish, pipelined', value: raw.perSecond },
      goal: { ratioAtLeast: 0.7 },
      detail: 'acknowledged at the JetStream append (the commit point), KV updated right behind it: one dependent round trip per write instead of two',
    },
    {
      name: 'write latency p50 (1 in flight)', value: lat.store.p50, unit: 'ms', better: 'lower',
      baseline: { name: 'raw kv.put + js.publish p50', value: lat.raw.p50 },
      goal: { ratioAtMost: 1.5 },
      detail: `p99 ${lat.store.p99.toFixed(2)} ms vs raw ${lat.raw.p99.toFixed(2)} ms; the append and the KV write are two dependent round trips (the KV entry carries the version the append returns), the raw pair is one`,
    },
    {
      name: "write latency p50, kvWrite 'background' (1 in flight)", value: lat.background.p50, unit: 'ms', better: 'lower',
      baseline: { name: 'raw kv.put + js.publish p50', value: lat.raw.p50 },
      goal: { ratioAtMost: 1.5 },
      detail: `p99 ${lat.background.p99.toFixed(2)} ms; acknowledged at the append (the commit point), KV written right behind it`,
    },
  ];
}

async function storedPayloads(env: TestEnv, rawKv: RawKv, stream: string): Promise<RawPayloads> {
  const entry = await rawKv.get(agentKvKey('bench-a0', 'k0'));
  const msg = await env.nats.jsm.streams.getMessage(stream, { last_by_subj: namespacedSubject(env.namespace, 'agents.state.bench-a0') });
  if (!entry || !msg) throw new Error('the store wrote no KV entry or event for bench-a0/k0');
  return { kv: entry.value, event: msg.data };
}
