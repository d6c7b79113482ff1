import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildTopology, type Topology } from '../config/topology.js';
import { JetStreamEventLog } from '../eventlog/JetStreamEventLog.js';
import { JetStreamKvStore } from '../kv/JetStreamKvStore.js';
import { connectNats, type NatsHandle } from '../nats/connectNats.js';
import { deprovision, provision } from '../nats/provision.js';
import { createDatabase, type DatabaseHandle } from '../pg/createDatabase.js';
import { migrateToLatest } from '../pg/migrateToLatest.js';
import type { LocalNats } from '../embedded/startLocalNats.js';
import type { LocalPostgres } from '../embedded/startLocalPostgres.js';

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
  /** The servers this env started itself (`servers: 'embedded'`), e.g. to kill one in an outage test; removed on dispose. */
  readonly embedded: { readonly nats?: LocalNats; readonly postgres?: LocalPostgres };
  close(): Promise<void>;
}

/** Options of `startTestEnv`. */
export interface TestEnvOptions {
  /** Skip provisioning/migrations (tests of provisioning itself). */
  readonly provision?: boolean;
  readonly migrate?: boolean;
  readonly leaseTtlSeconds?: number;
  /**
   * Where the servers come from: `'running'` (the default: `MS_TEST_NATS_URL` and
   * `MS_TEST_ADMIN_DATABASE_URL`, else localhost) or `'embedded'` (a private nats-server and
   * PostgreSQL 15 in a temporary folder, from `@mister-smith/core/embedded`, stopped and removed on
   * dispose; loaded only then). Per server: `{ nats: 'embedded' }`. `MS_TEST_EMBEDDED=1` makes
   * `'embedded'` the default.
   */
  readonly servers?: ServerChoice | { readonly nats?: ServerChoice; readonly postgres?: ServerChoice };
}

/** Running servers (shared, isolated by namespace and database) or private embedded ones. */
export type ServerChoice = 'running' | 'embedded';

function choose(options: TestEnvOptions): { nats: ServerChoice; postgres: ServerChoice } {
  const fallback: ServerChoice = process.env.MS_TEST_EMBEDDED === '1' || process.env.MS_TEST_EMBEDDED === 'true' ? 'embedded' : 'running';
  const s = options.servers;
  if (s === undefined || typeof s === 'string') return { nats: s ?? fallback, postgres: s ?? fallback };
  return { nats: s.nats ?? fallback, postgres: s.postgres ?? fallback };
}

/** Starts the embedded servers asked for, in one temporary folder (the embedded entry is imported only here). */
async function startEmbedded(choice: { nats: ServerChoice; postgres: ServerChoice }): Promise<{ nats?: LocalNats; postgres?: LocalPostgres; stop(): Promise<void> }> {
  if (choice.nats !== 'embedded' && choice.postgres !== 'embedded') return { stop: async () => undefined };
  const { startLocalNats, startLocalPostgres } = await import('../embedded/index.js');
  const dir = await mkdtemp(join(tmpdir(), 'ms-test-env-'));
  await chmod(dir, 0o755); // as root, the embedded PostgreSQL runs as "postgres" and must enter it
  const out: { nats?: LocalNats; postgres?: LocalPostgres } = {};
  const stop = async () => {
    await out.nats?.stop().catch(() => undefined);
    await out.postgres?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (choice.nats === 'embedded') out.nats = await startLocalNats({ dataDir: join(dir, 'nats') });
    if (choice.postgres === 'embedded') out.postgres = await startLocalPostgres({ dataDir: join(dir, 'pg'), database: 'mister_smith_test' });
  } catch (e) {
    await stop();
    throw e;
  }
  return { ...out, stop };
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
  const servers = testServers();
  const { runId } = servers;
  const embedded = await startEmbedded(choose(options));
  const natsUrl = embedded.nats?.url ?? servers.natsUrl;
  let adminDatabaseUrl = servers.adminDatabaseUrl;
  if (embedded.postgres) {
    const u = new URL(embedded.postgres.url);
    u.pathname = '/postgres';
    adminDatabaseUrl = u.toString();
  }
  const namespace = `${runId}_${randomBytes(4).toString('hex')}`;
  const dbName = `ms_${namespace}`;
  try {
    const admin = new pg.Client({ connectionString: adminDatabaseUrl });
    await admin.connect();
    try { await admin.query(`CREATE DATABASE ${dbName}`); } finally { await admin.end(); }
  } catch (e) {
    await embedded.stop();
    throw e;
  }
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
    if (embedded.postgres) {
      await embedded.stop(); // the whole server and its folder go
      return;
    }
    const a = new pg.Client({ connectionString: adminDatabaseUrl });
    await a.connect();
    try { await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); } finally { await a.end(); }
    await embedded.stop();
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
    embedded: { ...(embedded.nats ? { nats: embedded.nats } : {}), ...(embedded.postgres ? { postgres: embedded.postgres } : {}) },
    close,
    [Symbol.asyncDispose]: close,
  };
}
