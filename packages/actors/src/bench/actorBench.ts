import {
  agentKvKey, createRegistry, createStateStore, encodeKvStateEntry, frameworkTransaction, JetStreamEventLog, JetStreamKvStore, upsertStateRows,
  type DatabaseHandle, type NatsHandle, type StateRow, type Topology,
} from '@mister-smith/core';
import { HybridLogicalClock, lww } from '@mister-smith/crdt';
import { sql } from 'kysely';
import { counterAgent } from '../agentTypes/counterAgent.js';
import { createSupervisor } from '../supervisor/createSupervisor.js';
import type { Supervisor } from '../supervisor/Supervisor.js';
import { mapLimit } from '@mister-smith/core/util';

/** What the actor benchmark runs against (a `TestEnv` fits). */
export interface ActorBenchEnv {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
}

/** Options of `benchActors`. */
export interface ActorBenchOptions {
  /** Smaller N and shorter windows: a smoke run, not a measurement. */
  readonly quick?: boolean;
  readonly progress?: (line: string) => void;
  /** Agents activated from COLD (default 2,000; quick 200). */
  readonly activations?: number;
  /** Agents resident for the heap figure (default 10,000; quick 1,000). */
  readonly residentAgents?: number;
  /** Length of the commands/s window (default 5 s; quick 1 s). */
  readonly commandWindowMs?: number;
}

/** One figure, in the shape of the bench runner's `BenchFigure`. */
export interface ActorBenchFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number };
  readonly better?: 'higher' | 'lower';
  readonly goal?: { readonly ratioAtLeast?: number; readonly ratioAtMost?: number };
  readonly detail?: string;
}

const KEYS_PER_AGENT = 3;
const CONCURRENCY = 64;

/** Writes `count` agents with KEYS_PER_AGENT counter keys each straight into `agents.state` (and the registry). */
async function seedColdAgents(pg: DatabaseHandle, prefix: string, count: number, epoch: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const clock = new HybridLogicalClock('bench');
  const strategy = lww();
  const rows: StateRow[] = [];
  let seq = 1;
  for (const id of ids) {
    for (let k = 0; k < KEYS_PER_AGENT; k++) {
      const stored = strategy.prepare(k + 1, { writer: 'bench', clock }, undefined);
      rows.push({ agentId: id, stateKey: k === 0 ? 'count' : `k${k}`, value: k + 1, stored, epoch, seq: seq++, strategy: 'lww' });
    }
  }
  for (let i = 0; i < rows.length; i += 3_000) await frameworkTransaction(pg.db, (trx) => upsertStateRows(trx, rows.slice(i, i + 3_000)));
  for (let i = 0; i < ids.length; i += 3_000) {
    const batch = ids.slice(i, i + 3_000);
    await sql`INSERT INTO agents.registry (agent_id, agent_type) SELECT unnest(${batch}::text[]), 'counter' ON CONFLICT DO NOTHING`.execute(pg.db);
  }
  return ids;
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) { gc(); gc(); }
  return process.memoryUsage().heapUsed;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The actor section of `pnpm bench`:
 * - activations/s from COLD (lease, OwnershipAcquired, hydration of PostgreSQL rows into KV, two
 *   lifecycle events each) next to the raw cost of reading the same rows and writing them to KV;
 * - commands/s on ACTIVE agents (handler, fenced write, reply) next to the state store's fenced
 *   write alone;
 * - heap bytes per idle ACTIVE agent with many resident (goal: under 8 KB), next to the goal.
 *
 * @example
 * await using env = await startTestEnv();
 * console.table(await benchActors(env, { quick: true }));
 */
export async function benchActors(env: ActorBenchEnv, opts: ActorBenchOptions = {}): Promise<ActorBenchFigure[]> {
  const quick = opts.quick === true;
  const progress = opts.progress ?? (() => undefined);
  const activations = opts.activations ?? (quick ? 200 : 2_000);
  const resident = opts.residentAgents ?? (quick ? 1_000 : 10_000);
  const windowMs = opts.commandWindowMs ?? (quick ? 1_000 : 5_000);
  const { nats, pg, topology } = env;
  const log = new JetStreamEventLog(nats, topology.streams.agentState, { namespace: topology.namespace });
  const epoch = await log.epoch();
  const kv = await JetStreamKvStore.open(nats, topology.buckets.agentState.bucket);
  const figures: ActorBenchFigure[] = [];
  const gcNote = (globalThis as { gc?: () => void }).gc ? 'global.gc before each heap reading' : 'no --expose-gc: heapUsed deltas without a forced GC (noisy)';

  // 1. Activations from COLD vs the raw PostgreSQL read + KV write of the same rows.
  progress(`actors: seeding ${2 * activations} COLD agents (${KEYS_PER_AGENT} keys each) in PostgreSQL`);
  const coldIds = await seedColdAgents(pg, 'cold', activations, epoch);
  const rawIds = await seedColdAgents(pg, 'raw', activations, epoch);
  // The supervisor's store on a registry of our own, to read the per-phase hydration timings.
  const registry = createRegistry();
  const activationStore = await createStateStore({ nats, pg, topology, registry }, { writerId: 'bench-actors' });
  let sup: Supervisor | undefined = await createSupervisor({ nats, pg, topology, supervisorId: 'bench-actors', agentTypes: [counterAgent], stateStore: activationStore });
  try {
    // Interleaved chunks (raw, activations, raw, ...; the first rotating), so load drift lands on both sides.
    const chunks = quick ? 2 : 4;
    const size = Math.ceil(activations / chunks);
    let rawSeconds = 0;
    let actSeconds = 0;
    let ok = 0;
    for (let c = 0; c < chunks; c++) {
      const rawChunk = rawIds.slice(c * size, (c + 1) * size);
      const coldChunk = coldIds.slice(c * size, (c + 1) * size);
      const runRaw = async () => {
        rawSeconds += (await timed(() => mapLimit(rawChunk, CONCURRENCY, async (id) => {
          const rows = await pg.db.selectFrom('agents.state').selectAll().where('agent_id', '=', id).execute();
          await Promise.all(rows.map((r) => kv.create(agentKvKey(id, r.state_key), encodeKvStateEntry({ epoch: r.version_epoch, seq: r.version, strategy: 'lww', value: r.state_value, stored: r.meta }))));
        }))).seconds;
      };
      const runAct = async () => {
        const act = await timed(() => mapLimit(coldChunk, CONCURRENCY, (id) => sup!.spawn('counter', id)));
        actSeconds += act.seconds;
        ok += act.value.filter((s) => s.lifecycle === 'ACTIVE').length;
      };
      progress(`actors: chunk ${c + 1}/${chunks}: ${coldChunk.length} activations from COLD and the raw baseline (SELECT rows, KV create per key)`);
      if (c % 2 === 0) { await runRaw(); await runAct(); } else { await runAct(); await runRaw(); }
    }
    const phases = await hydrationPhases(registry);
    figures.push({
      name: 'activations/s from COLD (hydrating from PostgreSQL)', value: activations / actSeconds, unit: 'agents/s',
      baseline: { name: 'raw: SELECT the agent\'s rows + KV create per key', value: activations / rawSeconds }, goal: { ratioAtLeast: 0.5 },
      detail: `${activations} agents, ${KEYS_PER_AGENT} keys each, ${CONCURRENCY} in flight, ${chunks} interleaved chunks; an activation takes the lease, hydrates (the agents' rows in one batched SELECT and the subject's head, at once; one KV create per key), appends OwnershipAcquired, loads its command results (batched) and publishes 2 lifecycle events; ${ok} ACTIVE; hydration phases, mean ms per agent: ${phases}`,
    });

    // 2. Commands/s on ACTIVE agents vs the fenced store write alone.
    progress(`actors: commands on ${activations} ACTIVE agents for ${windowMs} ms`);
    // Each loop owns its agents (index % loops), as an owner serialises an agent's writes anyway.
    const loops = Math.min(CONCURRENCY, activations);
    const window = async (ids: readonly string[], op: (id: string, n: number) => Promise<unknown>) => {
      let ops = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: loops }, async (_, w) => {
        for (let i = w, n = 1; performance.now() - t0 < windowMs; i += loops, n++) {
          if (i >= ids.length) i = w;
          await op(ids[i]!, n);
          ops++;
        }
      }));
      return ops / ((performance.now() - t0) / 1000);
    };
    const perSecond = await window(coldIds, (id) => sup!.command(id, 'increment', {}));
    const store = await createStateStore({ nats, pg, topology });
    try {
      const fences = new Map<string, number>();
      await mapLimit(rawIds, CONCURRENCY, async (id) => { fences.set(id, await store.lastSequence(id)); });
      const baseline = await window(rawIds, async (id, n) => {
        const r = await store.write(id, 'count', n, { expectedLastSeq: fences.get(id)!, writer: 'bench' });
        fences.set(id, r.version.seq);
      });
      figures.push({
        name: 'commands/s on ACTIVE agents', value: perSecond, unit: 'commands/s',
        baseline: { name: 'state store fenced write alone (no actor)', value: baseline },
        detail: `${loops} in flight over ${activations} agents for ${windowMs} ms; a command runs the immer handler, writes one key with expectedLastSeq and answers`,
      });
    } finally {
      await store.close();
    }
    await sup.stop();
    sup = undefined;
    await activationStore.close();

    // 3. Heap per idle ACTIVE agent with `resident` agents resident.
    progress(`actors: heap with ${resident} idle ACTIVE agents`);
    sup = await createSupervisor({ nats, pg, topology, supervisorId: 'bench-heap', agentTypes: [counterAgent] });
    await mapLimit(Array.from({ length: 50 }, (_, i) => `warm-${i}`), CONCURRENCY, (id) => sup!.spawn('counter', id));
    const before = heapUsed();
    const ids = Array.from({ length: resident }, (_, i) => `idle-${i}`);
    for (let i = 0; i < ids.length; i += 1_000) {
      await mapLimit(ids.slice(i, i + 1_000), CONCURRENCY * 2, (id) => sup!.spawn('counter', id));
      progress(`actors: ${Math.min(i + 1_000, ids.length)}/${resident} resident`);
    }
    // Let pending acks, registry batches and lifecycle publishes settle before reading the heap.
    await new Promise((r) => setTimeout(r, 500));
    const after = heapUsed();
    const active = sup.counts().ACTIVE;
    figures.push({
      name: `heap bytes per idle ACTIVE agent (${resident} resident)`, value: Math.max(1, (after - before) / resident), unit: 'bytes',
      better: 'lower', baseline: { name: 'goal', value: 8 * 1024 }, goal: { ratioAtMost: 1 },
      detail: `${gcNote}; ${active} ACTIVE; includes the actor, its context and timers, the lease record and the registry cache entry`,
    });
  } finally {
    await sup?.stop();
    await activationStore.close();
  }
  return figures;
}

/** Mean seconds per phase of `mister_smith_hydration_phase_seconds`, as `pg 1.2, stream 0.8, ...` (ms). */
async function hydrationPhases(registry: ReturnType<typeof createRegistry>): Promise<string> {
  const metric = (await registry.getMetricsAsJSON()).find((m: { name: string }) => m.name === 'mister_smith_hydration_phase_seconds');
  const values = (metric as { values?: { metricName?: string; labels: Record<string, string | number>; value: number }[] } | undefined)?.values ?? [];
  const of = (suffix: string, phase: string) => values.find((v) => v.metricName === `mister_smith_hydration_phase_seconds_${suffix}` && v.labels.phase === phase)?.value ?? 0;
  return ['pg', 'stream', 'apply', 'flush', 'kv'].filter((p) => of('count', p) > 0).map((p) => `${p} ${(1000 * of('sum', p) / of('count', p)).toFixed(2)}`).join(', ');
}
