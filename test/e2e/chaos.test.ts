/**
 * Chaos on a 3-node JetStream cluster (private nats-server processes on loopback ports) and the
 * shared PostgreSQL (a fresh database; the server itself is never stopped): a steady write load
 * through `createStateStore` while a NATS node is killed with SIGKILL, PostgreSQL refuses
 * connections, and the bridge and projector processes are killed. At the end every acknowledged write must be
 * readable and in PostgreSQL, no row may have regressed, and the counts are printed.
 *
 * Two supervisor processes take commands for counter agents while one is killed with SIGKILL (the
 * other takes its agents over by lease), and after the faults every projection is rebuilt from the
 * archive and the streams and compared with the live tables.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTopology, connectNats, createDatabase, createStateStore, decodeEvent, MisterSmithError, namespacedSubject, provision,
  type DatabaseHandle, type NatsHandle, type Topology,
} from '@mister-smith/core';
import { freePort } from '@mister-smith/core/embedded';
import { testServers } from '@mister-smith/core/testing';
import { projectorSubject } from '@mister-smith/projector';
import { createTestDatabase, type TestDatabase } from './harness/createTestDatabase.js';
import { scanStream } from './harness/scanStream.js';
import { startNatsCluster, type NatsCluster } from './harness/startNatsCluster.js';
import { startServiceProcess, type ServiceProcess } from './harness/startServiceProcess.js';
import { watchRows, type RowWatch } from './harness/watchRows.js';
import { startWriteLoad, type LoadWriter, type WriteLoad } from './harness/writeLoad.js';
import { startCommandLoad } from './harness/commandLoad.js';
import { checkActiveIntervals } from './harness/activeIntervals.js';

const WRITERS = 4;
const AGENTS_PER_WRITER = 8;
/** The last writer acknowledges only after the PostgreSQL commit (durability 'postgres'). */
const PG_DURABLE_WRITER = `w${WRITERS - 1}`;
const SQL_AGENTS = 4;
const bridgeScript = fileURLToPath(new URL('./harness/bridgeChild.mjs', import.meta.url));
const projectorScript = fileURLToPath(new URL('./harness/projectorChild.mjs', import.meta.url));
const supervisorScript = fileURLToPath(new URL('./harness/supervisorChild.mjs', import.meta.url));
/** Counter agents commanded through the two supervisor processes. */
const SUPERVISED_AGENTS = Array.from({ length: 20 }, (_, i) => `sv-c${i}`);
/** AGENT_LEASES TTL of the supervisor scenario (seconds): a killed owner's agents are free after it. */
const LEASE_TTL_SECONDS = 3;
/** Concurrent command loops of the supervisor scenario. */
const COMMAND_WORKERS = 4;
/** The rebuildable projections (the archives are what rebuilds read) and their tables, as compared. */
const REBUILT: { name: string; stream: 'agentState' | 'taskExecution'; snapshot: string }[] = [
  { name: 'agent-state', stream: 'agentState', snapshot: `SELECT agent_id, state_key, state_value::text AS value, meta::text AS meta, version_epoch::text AS epoch, version::text AS version, tombstone, strategy
    FROM agents.state ORDER BY agent_id, state_key` },
  { name: 'agent-registry', stream: 'agentState', snapshot: `SELECT agent_id, agent_type, status, metadata::text AS metadata, supervisor_id, last_transition_at::text AS last_transition_at,
    last_heartbeat_at::text AS last_heartbeat_at, version_epoch::text AS epoch, version_seq::text AS seq FROM agents.registry ORDER BY agent_id` },
  { name: 'task-view', stream: 'taskExecution', snapshot: `SELECT task_id::text AS task_id, task_type, status, previous_status, assigned_agent_id, priority, attempts, payload::text AS payload, result::text AS result, error,
    metadata::text AS metadata, last_event_type, created_at::text AS created_at, changed_at::text AS changed_at, version_epoch::text AS epoch, version_seq::text AS seq FROM mister_smith.task_view ORDER BY task_id` },
];
/** Projections of the projector service that read AGENT_STATE. */
const STATE_PROJECTIONS = ['agent-state', 'archive.agent-state'];

interface Writer extends LoadWriter {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly node: number;
  reconnects: number;
  /** Successful flushes to PostgreSQL. */
  flushes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true; false after `timeoutMs` (the caller asserts on the outcome). */
async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1000; i++) {
    if (await Promise.resolve(probe()).catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
  return false;
}

/** Settles with the promise's outcome, or with 'HANG' when it takes longer than `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<{ ok: true; value: T } | { ok: false; error: unknown } | 'HANG'> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<'HANG'>((r) => { timer = setTimeout(() => r('HANG'), ms); });
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })), guard]);
  } finally {
    clearTimeout(timer);
  }
}

const codeOf = (e: unknown) => (MisterSmithError.is(e) ? e.code : `UNTYPED:${(e as Error)?.constructor?.name}`);

describe('chaos: 3-node NATS cluster, PostgreSQL outage, bridge and projector killed, under a steady write load', () => {
  let cluster: NatsCluster;
  let db: TestDatabase;
  let admin: NatsHandle;
  let topology: Topology;
  let namespace: string;
  const writers: Writer[] = [];
  let load: WriteLoad | undefined;
  let rows: RowWatch | undefined;
  let bridge: ServiceProcess | undefined;
  let bridgeStarts = 0;
  /** Two projector services: the first started holds the projections' locks, the second stands by. */
  const projectors: ServiceProcess[] = [];
  /** The supervisor processes of the supervisor scenario. */
  const supervisors: ServiceProcess[] = [];
  let sqlEditor: { stop(): Promise<void>; committed(): number } | undefined;
  /** Crashes: uncaught exceptions in this process (where the writers run) and bridge exits nobody asked for. */
  const crashes: string[] = [];
  const onUncaught = (e: unknown) => { crashes.push(`uncaught in the test process: ${(e as Error)?.message ?? String(e)}`); };
  const expectedExits = new Set<ServiceProcess>();
  const rejectedSince = (before: ReadonlyMap<string, number>) =>
    Object.fromEntries([...load!.rejected].map(([c, n]) => [c, n - (before.get(c) ?? 0)] as const).filter(([, n]) => n > 0));
  const allStreams = () => [
    ...Object.values(topology.streams).map((s) => s.name),
    ...Object.values(topology.buckets).map((b) => `KV_${b.bucket}`),
    ...Object.values(topology.objects).map((o) => `OBJ_${o.bucket}`),
  ];

  const startBridge = async () => {
    bridgeStarts++;
    bridge = await startServiceProcess({
      name: `bridge#${bridgeStarts}`,
      script: bridgeScript,
      readyMarker: 'bridge-ready',
      env: serviceEnv(),
    });
    const b = bridge;
    void b.exited.then((code) => { if (!expectedExits.has(b)) crashes.push(`${b.name} exited with ${code}: ${b.tail().split('\n').filter((l) => l.trim() && !l.startsWith('    at ')).slice(-6).join(' | ').slice(0, 1500)}`); });
  };
  const killBridge = async () => { expectedExits.add(bridge!); await bridge!.kill(); };
  const serviceEnv = () => ({ NATS_URL: cluster.urls.join(','), DATABASE_URL: db.url, MISTER_SMITH_NAMESPACE: namespace, MISTER_SMITH_PROFILE: 'test' });
  const startProjector = async (id: string) => {
    const p = await startServiceProcess({ name: `projector ${id}`, script: projectorScript, readyMarker: 'projector-ready', env: { ...serviceEnv(), PROJECTOR_ID: id } });
    void p.exited.then((code) => { if (!expectedExits.has(p)) crashes.push(`${p.name} exited with ${code}: ${p.tail().split('\n').filter((l) => l.trim() && !l.startsWith('    at ')).slice(-6).join(' | ').slice(0, 1500)}`); });
    projectors.push(p);
    return p;
  };
  /** Checkpoints of the projections reading AGENT_STATE, by name (on a connection of its own). */
  const checkpoints = async () => new Map((await db.query<{ projection: string; seq: string }>(
    'SELECT projection, seq::text AS seq FROM mister_smith.projection_checkpoints WHERE projection = ANY($1)', [STATE_PROJECTIONS])).rows.map((r) => [r.projection, Number(r.seq)]));
  /**
   * Like a process supervisor (systemd, Kubernetes): a service that crashed is started again so
   * the next scenario has something to kill; the crash itself is recorded and fails its own test.
   */
  const restartCrashed = async () => {
    if (bridge && !bridge.alive()) await startBridge();
    for (const p of projectors.filter((x) => !x.alive())) {
      projectors.splice(projectors.indexOf(p), 1);
      await startProjector(`${p.name.split(' ')[1]}'`);
    }
  };
  /** The projector instance whose runner holds the agent-state projection's lock, by asking every instance. */
  const activeProjector = async (): Promise<ServiceProcess | undefined> => {
    const replies = await admin.nc.requestMany(projectorSubject(namespace, 'status'), '{}', { strategy: 'count', maxMessages: projectors.filter((p) => p.alive()).length, maxWait: 2000 });
    for await (const m of replies) {
      const r = m.json<{ ok: boolean; instance: string; result?: { projections: { name: string; active: boolean }[] } }>();
      if (r.ok && r.result?.projections.some((p) => p.name === 'agent-state' && p.active)) return projectors.find((p) => p.name === `projector ${r.instance}` && p.alive());
    }
    return undefined;
  };
  const projectedUpTo = async (seq: number) => { const c = await checkpoints(); return STATE_PROJECTIONS.every((p) => (c.get(p) ?? 0) >= seq); };
  const stopBridge = async (graceMs: number) => { expectedExits.add(bridge!); return bridge!.stop(graceMs); };
  const startSupervisor = async (id: string) => {
    const s = await startServiceProcess({
      name: `supervisor ${id}`, script: supervisorScript, readyMarker: 'supervisor-ready',
      env: { ...serviceEnv(), MISTER_SMITH_SUPERVISOR_ID: id, LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS), FORWARD_TIMEOUT_MS: '2000' },
    });
    void s.exited.then((code) => { if (!expectedExits.has(s)) crashes.push(`${s.name} exited with ${code}: ${s.tail().split('\n').filter((l) => l.trim() && !l.startsWith('    at ')).slice(-6).join(' | ').slice(0, 1500)}`); });
    supervisors.push(s);
    return s;
  };
  /** One supervisor API request, answered by any supervisor of the namespace. */
  const supervisorRequest = async <T>(op: string, body: unknown, timeout = 15_000): Promise<T> => {
    const m = await admin.nc.request(namespacedSubject(namespace, `mister-smith.supervisor.${op}`), JSON.stringify(body), { timeout });
    const r = m.json<{ ok: boolean; result?: T; error?: { code: string; message: string } }>();
    if (!r.ok) throw new Error(`${op}: ${r.error?.code} ${r.error?.message}`);
    return r.result!;
  };
  /** Stream heads the rebuildable projections must reach before their tables are compared. */
  const rebuildHeads = async () => Object.fromEntries(await Promise.all((['agentState', 'taskExecution'] as const).map(async (k) => [k, (await admin.jsm.streams.info(topology.streams[k].name)).state.last_seq] as const)));

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    namespace = `${testServers().runId}_chaos${randomBytes(2).toString('hex')}`;
    cluster = await startNatsCluster({ size: 3 });
    db = await createTestDatabase('chaos');
    admin = await connectNats({ servers: [...cluster.urls], name: 'chaos-admin' });
    topology = buildTopology({ namespace, profile: 'test', clusterSize: 3 });
    await provision(admin, topology);
    for (let w = 0; w < WRITERS; w++) {
      // Each writer starts on its own node (it learns the others from the cluster), so a killed
      // node always has writers that must reconnect.
      const node = w % 3;
      const nats = await connectNats({ servers: [cluster.urls[node]!], name: `chaos-w${w}` });
      const pg = await createDatabase(db.url, { max: 2, applicationName: `chaos-w${w}` });
      const id = `w${w}`;
      const store = await createStateStore({ nats, pg, topology }, {
        writerId: id, flushThreshold: 25, flushIntervalMs: 300, ...(id === PG_DURABLE_WRITER ? { durability: 'postgres' as const } : {}),
      });
      const writer: Writer = { id, nats, pg, store, node, reconnects: 0, flushes: 0, agents: Array.from({ length: AGENTS_PER_WRITER }, (_, j) => `${id}-a${j}`) };
      nats.onStatus((e) => { if (e.type === 'reconnect') writer.reconnects++; });
      store.onFlush(() => { writer.flushes++; });
      writers.push(writer);
    }
    await startBridge();
    await startProjector('A');
    await startProjector('B');
    sqlEditor = startSqlEditor(db);
    rows = watchRows(db.pg, { intervalMs: 500, maxSamples: 400, agentPrefix: 'w' });
    load = startWriteLoad(writers, { pauseMs: 50, maxDurationMs: 150_000 });
    // Warm-up: every writer has written before the first fault.
    expect(await eventually(() => writers.every((w) => load!.acked(w.id) > 20), 20_000)).toBe(true);
  }, 90_000);

  afterAll(async () => {
    await load?.stop().catch(() => undefined);
    await sqlEditor?.stop().catch(() => undefined);
    await rows?.stop().catch(() => undefined);
    if (bridge) await stopBridge(5000).catch(() => undefined);
    for (const p of projectors) { expectedExits.add(p); await p.stop(5000).catch(() => undefined); }
    for (const p of supervisors) { expectedExits.add(p); await p.stop(10_000).catch(() => undefined); }
    for (const w of writers) {
      await within(w.store.close(), 10_000);
      await within(w.nats.close(), 5000);
      await w.pg.close().catch(() => undefined);
    }
    await within(admin?.close() ?? Promise.resolve(), 5000);
    await cluster?.stop();
    await db?.drop();
    process.off('uncaughtException', onUncaught);
  }, 90_000);

  it('keeps acknowledging writes while the AGENT_STATE stream leader is killed with SIGKILL, and the node rejoins; no write is rejected meanwhile (the write path retries elections)', async () => {
    const stream = topology.streams.agentState.name;
    const leader = (await admin.jsm.streams.info(stream)).cluster?.leader ?? '';
    const victim = cluster.indexOf(leader);
    expect(victim).toBeGreaterThanOrEqual(0);
    const ackedBefore = load!.acked();
    const reconnectsBefore = writers.map((w) => w.reconnects);
    const rejectedBefore = new Map(load!.rejected);
    const samplesBefore = new Set([...load!.rejectionSamples.values()].flat());
    await cluster.kill(victim);
    // Leader election takes about 3 s; the write path retries with the same Nats-Msg-Id meanwhile.
    await sleep(6000);
    const newLeader = await eventually(async () => {
      const l = (await admin.jsm.streams.info(stream)).cluster?.leader;
      return l !== undefined && l !== leader;
    }, 15_000);
    const ackedWhileDown = load!.acked() - ackedBefore;
    await cluster.restart(victim);
    await cluster.waitForStreamsCurrent(allStreams(), 30_000);
    const rejectedDuringFailover = { counts: rejectedSince(rejectedBefore), samples: [...load!.rejectionSamples.values()].flat().filter((m) => !samplesBefore.has(m)) };
    const perWriter = writers.map((w) => load!.acked(w.id));
    const everyWriterGoesOn = await eventually(() => writers.every((w, i) => load!.acked(w.id) > perWriter[i]! + 5), 20_000);
    const onVictim = writers.filter((w) => w.node === victim);
    console.log(`NATS node n${victim + 1} (leader of ${stream}) killed: ${ackedWhileDown} writes acknowledged while it was down, new leader elected: ${newLeader}, ` +
      `writers on it reconnected: ${onVictim.map((w) => `${w.id}=${w.reconnects - reconnectsBefore[writers.indexOf(w)]!}`).join(', ')}; writes rejected meanwhile ${JSON.stringify(rejectedDuringFailover.counts)}`);
    expect(newLeader).toBe(true);
    expect(ackedWhileDown).toBeGreaterThan(0);
    expect(onVictim.length).toBeGreaterThan(0);
    for (const w of onVictim) expect(w.reconnects, `${w.id} reconnected on its own`).toBeGreaterThan(reconnectsBefore[writers.indexOf(w)]!);
    expect(everyWriterGoesOn).toBe(true);
    // The loss of one node is masked from writers: the write path retries the leader election.
    if (Object.keys(rejectedDuringFailover.counts).length > 0) console.log(`rejected during the failover: ${JSON.stringify(rejectedDuringFailover.counts)}\n  ${rejectedDuringFailover.samples.join('\n  ')}`);
    expect(rejectedDuringFailover.counts).toEqual({});
  }, 90_000);

  it('keeps acknowledging JetStream-durable writes while PostgreSQL refuses connections, and flushes them once it is back', async () => {
    const jsWriters = writers.filter((w) => w.id !== PG_DURABLE_WRITER);
    const pgWriter = writers.find((w) => w.id === PG_DURABLE_WRITER)!;
    await db.admin(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS false`);
    let ackedWhileDown = 0;
    let pgDurableAcked = 0;
    const rejectedBefore = new Map(load!.rejected);
    try {
      await db.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name]);
      // Writes already past their flush when the backends were terminated may still be acknowledged.
      await sleep(1000);
      const before = jsWriters.map((w) => load!.acked(w.id));
      const pgBefore = load!.acked(pgWriter.id);
      await sleep(5000);
      ackedWhileDown = jsWriters.reduce((n, w, i) => n + load!.acked(w.id) - before[i]!, 0);
      pgDurableAcked = load!.acked(pgWriter.id) - pgBefore;
    } finally {
      await db.admin(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`);
    }
    const newlyRejected = rejectedSince(rejectedBefore);
    const pgBack = load!.acked(pgWriter.id);
    const pgWriterGoesOn = await eventually(() => load!.acked(pgWriter.id) > pgBack + 5, 20_000);
    const flushesAfter = jsWriters.map((w) => w.flushes);
    const flushingAgain = await eventually(() => jsWriters.every((w, i) => w.flushes > flushesAfter[i]!), 20_000);
    console.log(`PostgreSQL refused connections for ~6 s: ${ackedWhileDown} JetStream-durable writes acknowledged meanwhile, ${pgDurableAcked} PostgreSQL-durable ones; ` +
      `rejected meanwhile ${JSON.stringify(newlyRejected)}`);
    expect(ackedWhileDown).toBeGreaterThan(0);
    // A write that waits for the PostgreSQL commit cannot be acknowledged while PostgreSQL is away.
    expect(pgDurableAcked).toBe(0);
    expect(pgWriterGoesOn).toBe(true);
    expect(flushingAgain).toBe(true);
  }, 60_000);

  it('publishes every outbox row once although the bridge process is killed with SIGKILL', async () => {
    const unpublished = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM mister_smith.outbox WHERE published_at IS NULL')).rows[0]!.n);
    const published = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM mister_smith.outbox WHERE published_at IS NOT NULL')).rows[0]!.n);
    await restartCrashed();
    expect(await eventually(async () => (await published()) > 0, 20_000)).toBe(true);
    expect(bridge!.alive()).toBe(true);
    await killBridge();
    const committedAtKill = sqlEditor!.committed();
    await sleep(3000);
    const pendingWhileDown = await unpublished();
    expect(sqlEditor!.committed()).toBeGreaterThan(committedAtKill);
    await startBridge();
    const caughtUp = await eventually(async () => (await unpublished()) < SQL_AGENTS * 3, 20_000);
    console.log(`bridge killed with SIGKILL: ${sqlEditor!.committed() - committedAtKill} SQL edits committed while it was down (${pendingWhileDown} outbox rows waiting), caught up after restart: ${caughtUp}`);
    expect(pendingWhileDown).toBeGreaterThan(0);
    expect(caughtUp).toBe(true);
  }, 60_000);

  it('goes on projecting from the checkpoint when the active projector is killed with SIGKILL: the standby takes over', async () => {
    await restartCrashed();
    let active: ServiceProcess | undefined;
    expect(await eventually(async () => (active = await activeProjector()) !== undefined, 20_000), 'one projector holds the agent-state projection').toBe(true);
    const before = await checkpoints();
    // What the active instance says of its AGENT_STATE projections (a stall shows here: state, reason, stalledMs, readerRestarts).
    const activeSaid = await (async () => {
      try {
        const said: string[] = [];
        const replies = await admin.nc.requestMany(projectorSubject(namespace, 'status'), '{}', { strategy: 'count', maxMessages: projectors.filter((p) => p.alive()).length, maxWait: 2000 });
        for await (const m of replies) {
          const r = m.json<{ instance: string; result?: { projections: { name: string; active: boolean; state: string; reason?: string; stalledMs?: number; readerRestarts?: number; lag: number }[] } }>();
          for (const p of r.result?.projections ?? []) {
            if (p.active && STATE_PROJECTIONS.includes(p.name)) said.push(`${r.instance} ${p.name}: ${p.state}, lag ${p.lag}, stalled ${p.stalledMs ?? 0} ms, reader reopened ${p.readerRestarts ?? 0}${p.reason ? ` (${p.reason})` : ''}`);
          }
        }
        return said.join('; ');
      } catch (e) {
        return `status unavailable: ${(e as Error).message}`;
      }
    })();
    expectedExits.add(active!);
    await active!.kill();
    // What the killed projector can have projected ends here: only the standby can project past it.
    const seqAtKill = (await admin.jsm.streams.info(topology.streams.agentState.name)).state.last_seq;
    const ackedAtKill = load!.acked();
    // Writes after the kill (the load goes on), so the claim is about events only the standby can have projected.
    const writtenAfter = await eventually(async () => load!.acked() >= ackedAtKill + 20
      && (await admin.jsm.streams.info(topology.streams.agentState.name)).state.last_seq > seqAtKill, 30_000);
    const target = (await admin.jsm.streams.info(topology.streams.agentState.name)).state.last_seq;
    const tookOver = await eventually(() => projectedUpTo(target), 45_000);
    let successor: ServiceProcess | undefined;
    const successorFound = await eventually(async () => (successor = await activeProjector()) !== undefined, 20_000);
    const after = await checkpoints();
    console.log(`${active!.name} (active) killed with SIGKILL at stream seq ${seqAtKill}, checkpoints ${JSON.stringify(Object.fromEntries(before))}; ` +
      `a projector said before the kill: ${activeSaid}; ${load!.acked() - ackedAtKill} writes acknowledged since; ${successor?.name ?? 'no projector'} took over: ${tookOver} (projected to ${target}), checkpoints now ${JSON.stringify(Object.fromEntries(after))}`);
    expect(writtenAfter).toBe(true);
    expect(target).toBeGreaterThan(seqAtKill);
    expect(tookOver).toBe(true);
    expect(successorFound).toBe(true);
    expect(successor).not.toBe(active);
    expect(successor!.alive()).toBe(true);
    for (const p of STATE_PROJECTIONS) expect(after.get(p), p).toBeGreaterThanOrEqual(target);
  }, 90_000);

  it('kills a supervisor with SIGKILL: the other supervisor takes its agents over by lease, each ACTIVE in at most one place, every command applied once', async () => {
    await restartCrashed();
    // Every process started since beforeAll provisioned the default topology (AGENT_LEASES TTL 15 s);
    // the scenario runs with a short lease, the bucket's TTL, set here (the supervisor processes build
    // their topology with the same TTL). Not through provision(): it leaves the bucket stream's
    // duplicate window (15 s, set by the server at creation) alone, and the server refuses a max_age
    // below it ("duplicates window can not be larger then max age"), so both are updated here.
    const leaseStream = `KV_${topology.buckets.agentLeases.bucket}`;
    const leaseCfg = (await admin.jsm.streams.info(leaseStream)).config;
    await admin.jsm.streams.update(leaseStream, { ...leaseCfg, max_age: LEASE_TTL_SECONDS * 1e9, duplicate_window: LEASE_TTL_SECONDS * 1e9 });
    expect((await admin.jsm.streams.info(leaseStream)).config.max_age).toBe(LEASE_TTL_SECONDS * 1e9);
    await startSupervisor('supA');
    await startSupervisor('supB');
    const spawnedIn: Record<string, number> = {};
    for (const id of SUPERVISED_AGENTS) {
      const r = await supervisorRequest<{ supervisorId: string }>('spawn', { type: 'counter', id });
      spawnedIn[r.supervisorId] = (spawnedIn[r.supervisorId] ?? 0) + 1;
    }
    const ownersNow = async () => new Map((await supervisorRequest<{ agentId: string; supervisorId: string | null; lifecycle: string }[]>('list', { limit: 1000 }))
      .filter((l) => SUPERVISED_AGENTS.includes(l.agentId)).map((l) => [l.agentId, l] as const));
    const commands = startCommandLoad(admin.nc, namespacedSubject(namespace, 'mister-smith.supervisor.command'), SUPERVISED_AGENTS, { workers: COMMAND_WORKERS, timeoutMs: 15_000, maxAttempts: 12, maxDurationMs: 100_000 });
    let victim: ServiceProcess | undefined;
    let survivor: ServiceProcess | undefined;
    let victimAgents: string[] = [];
    let ackedBeforeKill = 0;
    let tookOver = false;
    let ownersAfter = new Map<string, { supervisorId: string | null; lifecycle: string }>();
    try {
      expect(await eventually(() => SUPERVISED_AGENTS.every((a) => commands.acked(a) >= 3), 60_000), 'every agent acknowledged commands before the kill').toBe(true);
      const owners = await ownersNow();
      const bySupervisor = new Map<string, string[]>();
      for (const [a, l] of owners) if (l.supervisorId) bySupervisor.set(l.supervisorId, [...(bySupervisor.get(l.supervisorId) ?? []), a]);
      const [victimId, agentsOfVictim] = [...bySupervisor].sort((x, y) => y[1].length - x[1].length)[0]!;
      victim = supervisors.find((s) => s.name === `supervisor ${victimId}`)!;
      survivor = supervisors.find((s) => s !== victim)!;
      victimAgents = agentsOfVictim;
      const ackedAtKill = new Map(victimAgents.map((a) => [a, commands.acked(a)]));
      ackedBeforeKill = commands.acked();
      expectedExits.add(victim);
      await victim.kill();
      // Commands for its agents fail or wait while its leases run out (TTL), then the survivor takes them over.
      tookOver = await eventually(() => victimAgents.every((a) => commands.acked(a) >= ackedAtKill.get(a)! + 3), 90_000);
      ownersAfter = await ownersNow();
    } finally {
      await commands.stop();
    }
    const survivorId = survivor!.name.split(' ')[1]!;
    const victimId = victim!.name.split(' ')[1]!;
    // Final counter values, from the owner that holds them all now.
    const finals = new Map<string, number>();
    for (const a of SUPERVISED_AGENTS) finals.set(a, (await supervisorRequest<{ value: number }>('get', { agentId: a, key: 'count' })).value);
    // A clean stop flushes every agent and publishes its last transition.
    expectedExits.add(survivor!);
    const survivorExit = await survivor!.stop(30_000);
    const flushed = await eventually(async () => {
      const rows = (await db.query<{ agent_id: string; v: number }>(`SELECT agent_id, (state_value #>> '{}')::int AS v FROM agents.state WHERE agent_id = ANY($1) AND state_key = 'count'`, [SUPERVISED_AGENTS])).rows;
      return rows.length === SUPERVISED_AGENTS.length && rows.every((r) => r.v === finals.get(r.agent_id));
    }, 30_000);

    let acked = 0; let failedAttempts = 0; let retried = 0; let gaveUp = 0; let appliedTwice = 0; let exact = 0; let attempts = 0; let victimsTwice = 0;
    const problems: string[] = [];
    for (const a of SUPERVISED_AGENTS) {
      const t = commands.tallies.get(a)!;
      const final = finals.get(a)!;
      acked += t.acked; failedAttempts += t.failedAttempts; retried += t.retried; gaveUp += t.gaveUp; attempts += t.attempts;
      appliedTwice += Math.max(0, final - t.acked);
      // Every command is retried with its id until it is acknowledged, and the owner (whichever it is
      // by then) answers a known id with its recorded reply: each increment is applied exactly once,
      // the killed owner's agents included. So the final value is the number acknowledged.
      if (final < t.acked) problems.push(`${a}: final ${final} < ${t.acked} acknowledged`);
      if (final > t.acked) problems.push(`${a}${victimAgents.includes(a) ? ' (of the killed owner)' : ''}: final ${final} > ${t.acked} acknowledged: ${final - t.acked} increments applied twice`);
      if (new Set(t.ackedValues).size !== t.ackedValues.length) problems.push(`${a}: two acknowledged increments produced the same value`);
      if (Math.max(0, ...t.ackedValues) > final) problems.push(`${a}: acknowledged value ${Math.max(...t.ackedValues)} > final ${final}`);
      if (victimAgents.includes(a)) victimsTwice += Math.max(0, final - t.acked);
      if (final === t.acked) exact++;
    }
    const messages = await scanStream(admin, topology.streams.agentState.name, { timeoutMs: 60_000 });
    const intervals = checkActiveIntervals(messages, namespace, SUPERVISED_AGENTS, victimId);
    // The same (agent, key, value) appended twice as StateChanged: the final test counts these stream-wide.
    const seen = new Map<string, number[]>();
    for (const m of messages) {
      if (!m.subject.startsWith(`${namespace}.agents.state.sv-`)) continue;
      const e = decodeEvent(m.data) as { type: string; agentId?: string; data: { key?: string; value?: unknown } };
      if (e.type !== 'StateChanged') continue;
      const k = `${e.agentId}.${e.data.key}=${JSON.stringify(e.data.value)}`;
      seen.set(k, [...(seen.get(k) ?? []), m.seq]);
    }
    const twice = [...seen].filter(([, seqs]) => seqs.length > 1);
    const notMoved = [...ownersAfter].filter(([, l]) => l.supervisorId !== survivorId || (l.lifecycle !== 'ACTIVE' && l.lifecycle !== 'FLUSHING')).map(([a, l]) => `${a}:${l.supervisorId}/${l.lifecycle}`);
    console.log([
      `supervisor ${victimId} (owner of ${victimAgents.length} of ${SUPERVISED_AGENTS.length} agents; spawned ${JSON.stringify(spawnedIn)}) killed with SIGKILL after ${ackedBeforeKill} acknowledged increments; ${survivorId} took them over: ${tookOver}`,
      `  increments: ${acked} acknowledged of ${attempts} attempts; ${failedAttempts} attempts failed ${JSON.stringify(Object.fromEntries(commands.errors))}, ${retried} commands retried with their command id, ${gaveUp} given up`,
      `  final counters: ${[...finals.values()].reduce((n, v) => n + v, 0)} in total for ${acked} acknowledged increments; double-applied commands: ${appliedTwice} (${victimsTwice} of them on the killed owner's agents); ${exact} of ${SUPERVISED_AGENTS.length} agents exact (final = acknowledged)`,
      `  ownership: ->ACTIVE ${JSON.stringify(intervals.activations)}, OwnershipAcquired ${JSON.stringify(intervals.ownershipAcquired)}, ${intervals.closedByTakeover} intervals of ${victimId} closed by the takeover, overlaps ${intervals.overlaps.length}, still ACTIVE at the end ${JSON.stringify(intervals.openAtEnd)}`,
      `  StateChanged of these agents appended twice with the same value: ${twice.length}${twice.length ? ` (${twice.slice(0, 5).map(([k, q]) => `${k} at ${q.join('/')}`).join(', ')})` : ''}`,
      `  ${survivorId} stopped with exit code ${survivorExit}; PostgreSQL holds every final counter: ${flushed}`,
      ...[...commands.errorSamples].map(([c, m]) => `  ${c}: ${m}`),
    ].join('\n'));
    expect(tookOver).toBe(true);
    expect(notMoved).toEqual([]);
    expect(problems).toEqual([]);
    expect(appliedTwice).toBe(0);
    expect(gaveUp).toBe(0);
    expect(intervals.overlaps).toEqual([]);
    expect(intervals.closedByTakeover).toBe(victimAgents.length);
    expect(intervals.ownershipAcquired[survivorId] ?? 0).toBeGreaterThanOrEqual(victimAgents.length);
    expect(intervals.openAtEnd).toEqual({});
    expect(survivorExit).toBe(0);
    expect(flushed).toBe(true);
  }, 180_000);

  it('loses no acknowledged write: each is readable in KV and in PostgreSQL after the final flush and hydration, no row regressed, nothing stored twice', async () => {
    await load!.stop();
    await sqlEditor!.stop();
    const ledger = [...load!.ledger.values()];
    const acked = ledger.reduce((n, k) => n + k.acked.length, 0);
    const rejected = Object.fromEntries(load!.rejected);

    // PostgreSQL as the load left it: rows still behind their last acknowledged version.
    const rowsAtStop = await db.pg.db.selectFrom('agents.state').select(['agent_id', 'state_key', 'version', 'state_value']).execute();
    const rowOf = (rs: typeof rowsAtStop, a: string, k: string) => rs.find((r) => r.agent_id === a && r.state_key === k);
    const behindAtStop = ledger.filter((k) => k.acked.length > 0 && (rowOf(rowsAtStop, k.agentId, k.key)?.version ?? 0) < k.acked.at(-1)!.seq).length;

    for (const w of writers) await w.store.close();
    // The surviving projector reaches the head; the archive holds every event once (none skipped,
    // none twice: its key is the stream position).
    await restartCrashed();
    const outboxDrained = await eventually(async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM mister_smith.outbox WHERE published_at IS NULL')).rows[0]!.n) === 0, 30_000);
    const { last_seq: headAtStop, messages: storedAtStop } = (await admin.jsm.streams.info(topology.streams.agentState.name)).state;
    const projectionsCaughtUp = await eventually(() => projectedUpTo(headAtStop), 30_000);
    const archive = (await db.query<{ n: string; distinct_seqs: string }>('SELECT count(*) AS n, count(DISTINCT seq) AS distinct_seqs FROM mister_smith.event_archive WHERE stream = $1', [topology.streams.agentState.name])).rows[0]!;
    const projectionDeadLetters = Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM mister_smith.dead_letters WHERE source <> 'bridge'")).rows[0]!.n);
    // A fresh store on a fresh connection: no L1 cache, reads what KV and PostgreSQL really hold.
    const nats = await connectNats({ servers: [...cluster.urls], name: 'chaos-verifier' });
    const verifier = await createStateStore({ nats, pg: db.pg, topology }, { writerId: 'verifier', watch: false });
    let repaired = 0;
    for (const w of writers) for (const a of w.agents) repaired += (await verifier.hydrateAgent(a)).repaired;
    await verifier.flush();
    const rowsAtEnd = await db.pg.db.selectFrom('agents.state').select(['agent_id', 'state_key', 'version', 'state_value']).execute();

    let lostInKv = 0;
    let lostInPg = 0;
    let regressedAtEnd = 0;
    let committedButRejected = 0;
    const problems: string[] = [];
    for (const k of ledger) {
      const last = k.acked.at(-1);
      const entry = await verifier.readEntry(k.agentId, k.key);
      const row = rowOf(rowsAtEnd, k.agentId, k.key);
      const value = entry?.value as number | undefined;
      for (const a of k.acked) {
        if (!entry || entry.version.seq < a.seq || (value ?? 0) < a.value) lostInKv++;
        if (!row || row.version < a.seq || (row.state_value as number) < a.value) lostInPg++;
      }
      if (last && row && ((row.state_value as number) < last.value || row.version < last.seq)) regressedAtEnd++;
      if (value !== undefined && value > (last?.value ?? 0)) committedButRejected++;
      if (value !== undefined && value > k.maxAttempted) problems.push(`${k.agentId}.${k.key} holds ${value}, never written`);
      if (entry && row && (entry.version.seq !== row.version || entry.value !== row.state_value)) problems.push(`${k.agentId}.${k.key}: KV (${entry.version.seq}, ${JSON.stringify(entry.value)}) != PostgreSQL (${row.version}, ${JSON.stringify(row.state_value)})`);
    }

    // The stream itself: each acknowledged write is the event at the sequence it was acknowledged
    // with, and no write was stored twice (a retried append carries the same Nats-Msg-Id).
    const messages = await scanStream(admin, topology.streams.agentState.name, { timeoutMs: 30_000 });
    const bySeq = new Map<number, { agentId: string; key: string; value: unknown }>();
    const copies = new Map<string, number>();
    let undecodable = 0;
    for (const m of messages) {
      if (m.msgId?.startsWith('outbox:')) continue;
      try {
        const e = decodeEvent(m.data) as { type: string; agentId?: string; data: { key: string; value: unknown } };
        if (e.type !== 'StateChanged') continue;
        bySeq.set(m.seq, { agentId: e.agentId ?? '', key: e.data.key, value: e.data.value });
        const id = `${e.agentId}.${e.data.key}=${JSON.stringify(e.data.value)}`;
        copies.set(id, (copies.get(id) ?? 0) + 1);
      } catch {
        undecodable++;
      }
    }
    const duplicated = [...copies.values()].filter((n) => n > 1).length;
    let notAtAckedSeq = 0;
    for (const k of ledger) {
      for (const a of k.acked) {
        const e = bySeq.get(a.seq);
        if (!e || e.agentId !== k.agentId || e.key !== k.key || e.value !== a.value) notAtAckedSeq++;
      }
    }

    // The bridge: every outbox row published, exactly one message per row.
    const outbox = (await db.query<{ id: string; published: boolean }>('SELECT id::text AS id, published_at IS NOT NULL AS published FROM mister_smith.outbox')).rows;
    const outboxMsgs = new Map<string, number>();
    for (const m of messages) if (m.msgId?.startsWith('outbox:')) { const id = m.msgId.split(':')[2]!; outboxMsgs.set(id, (outboxMsgs.get(id) ?? 0) + 1); }
    const deadLettered = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM mister_smith.dead_letters')).rows[0]!.n);
    const outboxLost = outbox.filter((r) => !outboxMsgs.has(r.id)).length;
    const outboxDuplicated = [...outboxMsgs.values()].filter((n) => n > 1).length;
    const outboxUnpublished = outbox.filter((r) => !r.published).length;

    console.log([
      'chaos counts:',
      `  writes acknowledged: ${acked} (${ledger.length} keys of ${WRITERS * AGENTS_PER_WRITER} agents, ${WRITERS} writers); rejected: ${JSON.stringify(rejected)}`,
      `  lost: ${lostInKv} in KV, ${lostInPg} in PostgreSQL; not at their acknowledged stream sequence: ${notAtAckedSeq}`,
      `  duplicated: ${duplicated} writes stored twice in ${topology.streams.agentState.name}; acknowledged out of order: ${load!.outOfOrderAcks}`,
      `  recovered: ${behindAtStop} keys behind in PostgreSQL when the load stopped reached it (${repaired} repaired from the stream by hydration); ${committedButRejected} keys hold a newer rejected-but-committed write`,
      `  regressed rows: ${rows!.regressions.length} while running (${rows!.samples} samples, ${rows!.failedSamples} during the outage), ${regressedAtEnd} at the end`,
      `  bridge: ${outbox.length} outbox rows, ${outboxLost} lost, ${outboxDuplicated} duplicated, ${outboxUnpublished} unpublished, ${deadLettered} dead-lettered, ${bridgeStarts} bridge processes`,
      `  stream: ${messages.length} messages, ${undecodable} undecodable`,
      `  projector: caught up to seq ${headAtStop}: ${projectionsCaughtUp}; archive ${archive.n} events (${archive.distinct_seqs} distinct) of ${storedAtStop} stored; ${projectionDeadLetters} dead-lettered; ${projectors.length} projector processes`,
    ].join('\n'));
    await verifier.close();
    await nats.close();

    expect(acked).toBeGreaterThan(500);
    expect(problems).toEqual([]);
    expect(lostInKv).toBe(0);
    expect(lostInPg).toBe(0);
    expect(notAtAckedSeq).toBe(0);
    expect(duplicated).toBe(0);
    expect(load!.outOfOrderAcks).toBe(0);
    expect(rows!.regressions).toEqual([]);
    expect(regressedAtEnd).toBe(0);
    expect(undecodable).toBe(0);
    expect(outbox.length).toBeGreaterThan(0);
    expect(outboxLost).toBe(0);
    expect(outboxDuplicated).toBe(0);
    expect(deadLettered).toBe(0);
    expect(outboxDrained).toBe(true);
    expect(projectionsCaughtUp).toBe(true);
    expect(Number(archive.n)).toBe(storedAtStop);
    expect(Number(archive.distinct_seqs)).toBe(storedAtStop);
    expect(projectionDeadLetters).toBe(0);
  }, 90_000);

  it('rebuilds every projection from the archive and the streams after the faults: tables identical to the live ones', async () => {
    // Tasks, so the task view has rows: inserted and moved on in SQL, published by the bridge to
    // TASK_EXECUTION (interest retention: the rebuild reads what the stream no longer holds from the archive).
    await db.query(`INSERT INTO tasks.queue (task_type, priority, payload) SELECT 'chaos', g % 3, jsonb_build_object('n', g) FROM generate_series(1, 12) AS g`);
    await db.query(`UPDATE tasks.queue SET status = 'running', assigned_agent_id = 'sv-c0', attempts = 1 WHERE (payload->>'n')::int <= 8`);
    await db.query(`UPDATE tasks.queue SET status = 'completed', result = '{"ok":true}' WHERE (payload->>'n')::int <= 4`);
    await restartCrashed();
    // The archive of AGENT_STATE paused, then more writes: the rebuild of the agent-state projections
    // reads the archive up to where it stopped and the rest from the stream.
    const projectorCall = async (verb: 'pause' | 'resume', name: string) => {
      const r = (await admin.nc.request(projectorSubject(namespace, verb), JSON.stringify({ name }), { timeout: 20_000 })).json<{ ok: boolean; error?: { code: string; message: string } }>();
      if (!r.ok) throw new Error(`${verb} ${name}: ${r.error?.code} ${r.error?.message}`);
    };
    await projectorCall('pause', 'archive.agent-state');
    let tailWrites = 0;
    try {
      const tail = await createStateStore({ nats: admin, pg: db.pg, topology }, { writerId: 'rebuild-tail', watch: false });
      try {
        for (let i = 1; i <= 30; i++) { await tail.write(`tail-a${i % 3}`, 'n', i); tailWrites++; }
      } finally {
        await tail.close();
      }
    } catch (e) {
      await projectorCall('resume', 'archive.agent-state');
      throw e;
    }
    const outboxDrained = await eventually(async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM mister_smith.outbox WHERE published_at IS NULL')).rows[0]!.n) === 0, 30_000);
    const taskViewLikeQueue = await eventually(async () => Number((await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM tasks.queue q JOIN mister_smith.task_view v USING (task_id) WHERE v.status = q.status')).rows[0]!.n) === 12, 30_000);
    const checkpointOf = async () => new Map((await db.query<{ projection: string; seq: string }>(
      'SELECT projection, seq::text AS seq FROM mister_smith.projection_checkpoints WHERE projection = ANY($1)', [REBUILT.map((p) => p.name)])).rows.map((r) => [r.projection, Number(r.seq)]));
    const caughtUp = async () => {
      const heads = await rebuildHeads();
      return eventually(async () => { const c = await checkpointOf(); return REBUILT.every((p) => (c.get(p.name) ?? 0) >= heads[p.stream]!); }, 60_000);
    };
    const liveCaughtUp = await caughtUp();
    const live = new Map<string, unknown[]>();
    for (const p of REBUILT) live.set(p.name, (await db.query(p.snapshot)).rows);
    const reports: string[] = [];
    const failures: string[] = [];
    let fromStream = 0;
    for (const p of REBUILT) {
      try {
        const m = await admin.nc.request(projectorSubject(namespace, 'rebuild'), JSON.stringify({ name: p.name }), { timeout: 90_000 });
        const r = m.json<{ ok: boolean; instance: string; result?: { mode: string; events: number; fromArchive: number; fromStream: number; deadLettered: number; contiguous: boolean; checkpoint: number }; error?: { code: string; message: string } }>();
        if (!r.ok) { failures.push(`${p.name}: ${r.error?.code} ${r.error?.message}`); continue; }
        const x = r.result!;
        reports.push(`${p.name} on ${r.instance}: ${x.mode}, ${x.events} events (${x.fromArchive} from the archive, ${x.fromStream} from the stream) to seq ${x.checkpoint}, contiguous ${x.contiguous}, ${x.deadLettered} dead-lettered`);
        if (p.stream === 'agentState') fromStream += x.fromStream;
        if (!x.contiguous || x.deadLettered > 0) failures.push(`${p.name}: contiguous ${x.contiguous}, ${x.deadLettered} dead-lettered`);
      } catch (e) {
        failures.push(`${p.name}: ${(e as Error).message}`);
      }
    }
    await projectorCall('resume', 'archive.agent-state');
    const rebuiltCaughtUp = await caughtUp();
    const differences: Record<string, { live: number; rebuilt: number; onlyLive: string[]; onlyRebuilt: string[] }> = {};
    const sizes: string[] = [];
    for (const p of REBUILT) {
      const before = live.get(p.name)!.map((r) => JSON.stringify(r));
      const after = (await db.query(p.snapshot)).rows.map((r) => JSON.stringify(r));
      sizes.push(`${p.name} ${before.length} rows`);
      const a = new Set(after);
      const b = new Set(before);
      const onlyLive = before.filter((r) => !a.has(r));
      const onlyRebuilt = after.filter((r) => !b.has(r));
      if (onlyLive.length > 0 || onlyRebuilt.length > 0 || JSON.stringify(before) !== JSON.stringify(after)) {
        differences[p.name] = { live: before.length, rebuilt: after.length, onlyLive: onlyLive.slice(0, 5), onlyRebuilt: onlyRebuilt.slice(0, 5) };
      }
    }
    console.log([
      `rebuild after the faults and ${tailWrites} writes while the AGENT_STATE archive was paused (outbox drained: ${outboxDrained}, task view like tasks.queue: ${taskViewLikeQueue}, live projections at the stream heads: ${liveCaughtUp}, again after the rebuilds: ${rebuiltCaughtUp}): ${sizes.join(', ')}`,
      ...reports.map((r) => `  ${r}`),
      ...failures.map((f) => `  FAILED ${f}`),
      `  tables identical to the live ones: ${Object.keys(differences).length === 0 ? 'all' : `not ${Object.keys(differences).join(', ')}`}`,
    ].join('\n'));
    expect(outboxDrained).toBe(true);
    expect(taskViewLikeQueue).toBe(true);
    expect(liveCaughtUp).toBe(true);
    expect(failures).toEqual([]);
    expect(rebuiltCaughtUp).toBe(true);
    expect(differences).toEqual({});
    expect(tailWrites).toBe(30);
    // The agent-state projections were rebuilt from the archive and from the stream past its end.
    expect(fromStream).toBeGreaterThanOrEqual(2 * tailWrites);
    expect(live.get('agent-state')!.length).toBeGreaterThan(WRITERS * AGENTS_PER_WRITER);
    expect(live.get('agent-registry')!.length).toBeGreaterThanOrEqual(SUPERVISED_AGENTS.length);
    expect(live.get('task-view')!.length).toBe(12);
  }, 150_000);

  it('no process crashed: no uncaught exception in the writers\' process, no bridge exit nobody asked for', () => {
    console.log(`crashes: ${crashes.length}${crashes.length ? `\n  ${[...new Set(crashes)].slice(0, 5).join('\n  ')}` : ''}`);
    expect(crashes).toEqual([]);
  });

  it('rejected every write it could not acknowledge with a typed error (a Mister Smith error code)', () => {
    const untyped = [...load!.rejected.keys()].filter((c) => c.startsWith('UNTYPED:'));
    console.log(`rejections by code: ${JSON.stringify(Object.fromEntries(load!.rejected))}\n  ${[...load!.rejectionSamples].map(([c, m]) => `${c}: ${m.join(' / ')}`).join('\n  ')}`);
    expect(untyped).toEqual([]);
  });

  it('gives a typed error, not a hang, when the servers stay away', async () => {
    // Stop the bridge and the projector cleanly while NATS is still there.
    expect(await stopBridge(10_000)).toBe(0);
    for (const p of projectors) { expectedExits.add(p); if (p.alive()) await p.stop(10_000); }
    const nats = await connectNats({ servers: [...cluster.urls], name: 'chaos-last' });
    const pg = await createDatabase(db.url, { max: 1 });
    const store = await createStateStore({ nats, pg, topology }, { writerId: 'last', watch: false });
    await store.write('w0-a0', 'n', 1_000_000);
    try {
      for (let i = 0; i < 3; i++) await cluster.kill(i);
      const deadUrl = `nats://127.0.0.1:${await freePort()}`;
      const [cached, uncached, reconnect, deadPort] = await Promise.all([
        within(store.write('w0-a0', 'n', 1_000_001), 45_000),
        within(store.write('never-written', 'n', 1), 45_000),
        within(connectNats({ servers: [...cluster.urls] }, { timeoutMs: 2000 }), 20_000),
        within(connectNats({ servers: [deadUrl] }, { timeoutMs: 2000 }), 20_000),
      ]);
      const outcome = (r: typeof cached | typeof reconnect) => (r === 'HANG' ? 'HANG' : r.ok ? 'resolved' : codeOf(r.error));
      console.log(`all NATS nodes down: write of a cached key -> ${outcome(cached)}, write of an unseen key -> ${outcome(uncached)}, connect -> ${outcome(reconnect)}; connect to a dead port -> ${outcome(deadPort)}`);
      for (const r of [cached, uncached]) expect(['NATS_UNAVAILABLE', 'TIMEOUT', 'CLOSED']).toContain(outcome(r));
      expect(outcome(reconnect)).toBe('NATS_UNAVAILABLE');
      expect(outcome(deadPort)).toBe('NATS_UNAVAILABLE');
    } finally {
      await within(store.close(), 10_000);
      await within(nats.close(), 5000);
      await pg.close();
    }
  }, 150_000);
});

/**
 * Edits `agents.state` of a few agents directly in SQL (as an operator would), one statement every
 * 50 ms: each commit writes an outbox row that the bridge must publish. Statements failing during
 * the PostgreSQL outage are not counted. Bounded to 2,000 statements.
 */
function startSqlEditor(db: TestDatabase): { stop(): Promise<void>; committed(): number } {
  let stopped = false;
  let committed = 0;
  const run = (async () => {
    for (let i = 1; i <= 2000 && !stopped; i++) {
      try {
        await db.pg.withClient((c) => c.query(
          `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ($1, 'note', $2::jsonb, 0, 0)
           ON CONFLICT (agent_id, state_key) DO UPDATE SET state_value = EXCLUDED.state_value`,
          [`sql-${i % SQL_AGENTS}`, JSON.stringify(i)],
        ));
        committed++;
      } catch {
        /* PostgreSQL is refusing connections: the edit is not made, nothing to publish */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return { async stop() { stopped = true; await run; }, committed: () => committed };
}
