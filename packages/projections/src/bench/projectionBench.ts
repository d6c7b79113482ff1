import { frameworkTransaction, upsertStateRows, type DatabaseHandle, type JetStreamEventLog, type NatsHandle, type StateRow, type Topology } from '@mister-smith/core';
import { agentStateProjection } from '../projections/agentStateProjection.js';
import { rebuildProjection } from '../rebuild/rebuildProjection.js';
import { stateWorkload } from '../testing/stateWorkload.js';
import { deliverPolicy } from '../util/natsTypes.js';

/** What the benchmark needs: a `TestEnv` or a `Stack` (its own namespace and database: it writes agents.state). */
export interface BenchEnv {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  readonly logs: { readonly agentState: JetStreamEventLog };
}

/** One measurement; `baseline` is what it is compared with. */
export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number };
}

/** Options of `benchProjections`. */
export interface ProjectionBenchOptions {
  /** Events to append and replay (default 100 000). */
  readonly events?: number;
  /** Distinct agents and keys per agent of the workload (default 1000 x 10). */
  readonly agents?: number;
  readonly keys?: number;
  /** Batch sizes tried for the raw upsert; the best counts (default 1000, 5000, 20 000). */
  readonly upsertBatches?: readonly number[];
  /** Most events per rebuild transaction (default: the rebuild's own default). */
  readonly rebuildBatch?: number;
}

const perSecond = (n: number, ms: number) => Math.round((n * 1000) / Math.max(1, ms));

/**
 * Projection benchmark: appends N `StateChanged` events, then measures in the same run
 * (1) the raw ordered-consumer read rate over them (no decoding), (2) the best raw batched
 * PostgreSQL upsert rate (`upsertStateRows` in `frameworkTransaction`, rows of the same workload),
 * and (3) a full rebuild of the agent-state projection (read, decode, collapse, shadow upserts,
 * swap), reported against the slower of (1) and (2).
 *
 * @example
 * await using env = await startTestEnv();
 * console.table(await benchProjections(env, { events: 100_000 }));
 */
export async function benchProjections(env: BenchEnv, options: ProjectionBenchOptions = {}): Promise<BenchResult[]> {
  const n = options.events ?? 100_000;
  const events = stateWorkload(n, { agents: options.agents ?? 1000, keys: options.keys ?? 10, salt: 'bench', deleteEvery: 0 });
  const log = env.logs.agentState;
  const seqs: number[] = [];
  for (let i = 0; i < events.length; i += 2000) {
    for (const ack of await log.appendBatch(events.slice(i, i + 2000))) seqs.push(ack.seq);
  }
  const stream = env.topology.streams.agentState.name;
  const epoch = await log.epoch();

  // 1. Raw ordered-consumer read.
  const readStart = Date.now();
  const consumer = await env.nats.js.consumers.get(stream, { deliver_policy: deliverPolicy('by_start_sequence'), opt_start_seq: seqs[0]! });
  const messages = await consumer.consume({ max_messages: 5000 });
  let read = 0;
  const last = seqs[seqs.length - 1]!;
  for await (const m of messages) {
    read++;
    if (m.seq >= last) break;
  }
  await messages.close();
  const readRate = perSecond(read, Date.now() - readStart);

  // 2. Raw batched upserts of the same rows, best batch size.
  const rows: StateRow[] = events.map((e, i) => ({
    agentId: e.agentId!, stateKey: e.data.key, value: e.data.value, stored: e.data.stored, epoch, seq: seqs[i]!, tombstone: false, strategy: 'lww',
  }));
  let upsertRate = 0;
  for (const size of options.upsertBatches ?? [1000, 5000, 20_000]) {
    await env.pg.withClient((c) => c.query('TRUNCATE agents.state'));
    const start = Date.now();
    for (let i = 0; i < rows.length; i += size) {
      const chunk = rows.slice(i, i + size);
      await frameworkTransaction(env.pg.db, (trx) => upsertStateRows(trx, chunk));
    }
    const rate = perSecond(rows.length, Date.now() - start);
    upsertRate = Math.max(upsertRate, rate);
  }

  // 3. Rebuild of the agent-state projection from the stream.
  const report = await rebuildProjection({ nats: env.nats, pg: env.pg, topology: env.topology }, agentStateProjection(), options.rebuildBatch !== undefined ? { batchSize: options.rebuildBatch } : {});
  const rebuildRate = perSecond(report.read, report.durationMs);

  const slower = readRate <= upsertRate
    ? { name: 'projection.read.ordered_consumer', value: readRate }
    : { name: `projection.pg.upsert_batched`, value: upsertRate };
  return [
    { name: 'projection.read.ordered_consumer', value: readRate, unit: 'events/s' },
    { name: `projection.pg.upsert_batched`, value: upsertRate, unit: 'rows/s' },
    { name: `projection.rebuild.agent_state`, value: rebuildRate, unit: 'events/s', baseline: slower },
    { name: 'projection.rebuild.vs_slower_baseline', value: Math.round((rebuildRate / Math.max(1, slower.value)) * 100) / 100, unit: 'x (goal >= 0.6)', baseline: slower },
  ];
}
