import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { buildTopology, type Topology } from '../config/topology.js';
import { JetStreamEventLog } from '../eventlog/JetStreamEventLog.js';
import { JetStreamKvStore } from '../kv/JetStreamKvStore.js';
import { connectNats, type NatsHandle } from '../nats/connectNats.js';
import { deprovision, provision } from '../nats/provision.js';
import { createDatabase, type DatabaseHandle } from '../pg/createDatabase.js';
import { migrateToLatest } from '../pg/migrateToLatest.js';

/** Where the shared test servers are; the vitest global setup fills these in. */
export function testServers(): { natsUrl: string; adminDatabaseUrl: string; runId: string } {
  return {
    natsUrl: process.env.MS_TEST_NATS_URL ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    adminDatabaseUrl: process.env.MS_TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    runId: process.env.MS_TEST_RUN ?? 'tx',
  };
}

/** One spec's isolated world: its own namespace on the shared NATS and its own database. */
export interface TestEnv extends AsyncDisposable {
  readonly namespace: string;
  readonly topology: Topology;
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly databaseUrl: string;
  readonly natsUrl: string;
  readonly logs: { readonly agentState: JetStreamEventLog; readonly taskExecution: JetStreamEventLog; readonly agentMessages: JetStreamEventLog };
  /** Opens one of the topology's buckets. */
  bucket(name: keyof Topology['buckets']): Promise<JetStreamKvStore>;
  /** Opens another NATS connection to the same server (for "separate process" writers). */
  connect(): Promise<NatsHandle>;
  /** Environment variables that point a child process at this env. */
  childEnv(): Record<string, string>;
  close(): Promise<void>;
}

/** Options of `startTestEnv`. */
export interface TestEnvOptions {
  /** Skip provisioning/migrations (tests of provisioning itself). */
  readonly provision?: boolean;
  readonly migrate?: boolean;
  readonly leaseTtlSeconds?: number;
}

/**
 * Creates a namespace (streams and buckets at test-profile limits) and a fresh database, and
 * removes both on dispose.
 *
 * @example
 * await using env = await startTestEnv();
 * await env.logs.agentState.append(event);
 */
export async function startTestEnv(options: TestEnvOptions = {}): Promise<TestEnv> {
  const { natsUrl, adminDatabaseUrl, runId } = testServers();
  const namespace = `${runId}_${randomBytes(4).toString('hex')}`;
  const dbName = `ms_${namespace}`;
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  try { await admin.query(`CREATE DATABASE ${dbName}`); } finally { await admin.end(); }
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const nats = await connectNats({ servers: [natsUrl], name: `test-${namespace}` });
  const topology = buildTopology({ namespace, profile: 'test', clusterSize: nats.clusterSize, ...(options.leaseTtlSeconds ? { leaseTtlSeconds: options.leaseTtlSeconds } : {}) });
  const pgh = await createDatabase(databaseUrl, { max: 8 });
  const extra: NatsHandle[] = [];
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    for (const c of extra) await c.close();
    await deprovision(nats, topology);
    await nats.close();
    await pgh.close();
    const a = new pg.Client({ connectionString: adminDatabaseUrl });
    await a.connect();
    try { await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); } finally { await a.end(); }
  })());
  try {
    if (options.provision !== false) await provision(nats, topology);
    if (options.migrate !== false) await migrateToLatest(pgh.db);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    namespace, topology, nats, pg: pgh, databaseUrl, natsUrl,
    logs: {
      agentState: new JetStreamEventLog(nats, topology.streams.agentState, { namespace }),
      taskExecution: new JetStreamEventLog(nats, topology.streams.taskExecution, { namespace }),
      agentMessages: new JetStreamEventLog(nats, topology.streams.agentMessages, { namespace }),
    },
    bucket: (name) => JetStreamKvStore.open(nats, topology.buckets[name].bucket, topology.buckets[name].maxValueSize !== undefined ? { maxValueSize: topology.buckets[name].maxValueSize } : {}),
    async connect() { const h = await connectNats({ servers: [natsUrl] }); extra.push(h); return h; },
    childEnv: () => ({ NATS_URL: natsUrl, DATABASE_URL: databaseUrl, MISTER_SMITH_NAMESPACE: namespace, MISTER_SMITH_PROFILE: 'test' }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
