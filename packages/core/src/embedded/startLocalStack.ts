import { resolve } from 'node:path';
import { loadConfig, type MisterSmithConfig } from '../config/loadConfig.js';
import { buildTopology, type Topology } from '../config/topology.js';
import { JetStreamEventLog } from '../eventlog/JetStreamEventLog.js';
import { connectNats, type NatsHandle } from '../nats/connectNats.js';
import { provision, type ProvisionReport } from '../nats/provision.js';
import { createDatabase, type DatabaseHandle } from '../pg/createDatabase.js';
import { migrateToLatest, type MigrationReport } from '../pg/migrateToLatest.js';
import { startLocalNats, type LocalNats } from './startLocalNats.js';
import { startLocalPostgres, type LocalPostgres } from './startLocalPostgres.js';

/** A connected, provisioned and migrated stack: what every service starts from. */
export interface Stack extends AsyncDisposable {
  readonly config: MisterSmithConfig;
  readonly topology: Topology;
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly logs: { readonly agentState: JetStreamEventLog; readonly taskExecution: JetStreamEventLog; readonly agentMessages: JetStreamEventLog };
  readonly provisioned: ProvisionReport;
  readonly migrated: MigrationReport;
  /** Which servers were started here (embedded) rather than reached by URL. */
  readonly embedded: { readonly nats?: LocalNats; readonly postgres?: LocalPostgres };
  /** Closes connections and stops embedded servers. */
  close(): Promise<void>;
}

/** Options of `startLocalStack`. */
export interface StartStackOptions {
  readonly config?: MisterSmithConfig;
  /** Skip NATS provisioning and migrations (they are idempotent, but cost a round trip each). */
  readonly skipSetup?: boolean;
  readonly onProgress?: (message: string) => void;
}

/**
 * Connects to NATS and PostgreSQL as configured, starting embedded ones when `NATS_URL` or
 * `DATABASE_URL` is unset, then provisions the topology and runs migrations.
 *
 * @example
 * await using stack = await startLocalStack();
 * await stack.logs.agentState.append(createEvent({ type: 'Hello', subject: 'agents.state.demo', data: {} }));
 */
export async function startLocalStack(options: StartStackOptions = {}): Promise<Stack> {
  const config = options.config ?? loadConfig();
  const say = options.onProgress ?? (() => undefined);
  const dataDir = resolve(config.dataDir);
  const embedded: { nats?: LocalNats; postgres?: LocalPostgres } = {};
  const cleanup: (() => Promise<void>)[] = [];
  try {
    let servers = config.nats.servers;
    if (!servers || servers.length === 0) {
      say(`starting embedded nats-server (data in ${dataDir}/nats)`);
      embedded.nats = await startLocalNats({ dataDir: `${dataDir}/nats` });
      cleanup.unshift(() => embedded.nats!.stop());
      servers = [embedded.nats.url];
      say(`nats-server ready at ${embedded.nats.url}`);
    }
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      say(`starting embedded PostgreSQL (data in ${dataDir}/postgres)`);
      embedded.postgres = await startLocalPostgres({ dataDir: `${dataDir}/postgres` });
      cleanup.unshift(() => embedded.postgres!.stop());
      databaseUrl = embedded.postgres.url;
      say(`PostgreSQL ready on port ${embedded.postgres.port}`);
    }
    const nats = await connectNats({ ...config.nats, servers });
    cleanup.unshift(() => nats.close());
    const pg = await createDatabase(databaseUrl);
    cleanup.unshift(() => pg.close());
    const topology = buildTopology({ namespace: config.namespace, profile: config.profile, clusterSize: nats.clusterSize, ...(config.placementCluster ? { placementCluster: config.placementCluster } : {}) });
    const provisioned = options.skipSetup ? { created: [], updated: [], unchanged: [], ignoredByServer: [], disabledFeatures: nats.gates.disabled } : await provision(nats, topology);
    if (!options.skipSetup) say(`NATS provisioned: ${provisioned.created.length} created, ${provisioned.updated.length} updated, ${provisioned.unchanged.length} unchanged`);
    const migrated = options.skipSetup ? { applied: [], alreadyApplied: 0 } : await migrateToLatest(pg.db);
    if (!options.skipSetup) say(`PostgreSQL migrated: ${migrated.applied.length} applied, ${migrated.alreadyApplied} already there`);
    const ns = topology.namespace;
    const logs = {
      agentState: new JetStreamEventLog(nats, topology.streams.agentState, { namespace: ns }),
      taskExecution: new JetStreamEventLog(nats, topology.streams.taskExecution, { namespace: ns }),
      agentMessages: new JetStreamEventLog(nats, topology.streams.agentMessages, { namespace: ns }),
    };
    let closing: Promise<void> | undefined;
    const close = () => (closing ??= (async () => {
      for (const c of cleanup) await c().catch(() => undefined);
    })());
    return { config: { ...config, nats: { ...config.nats, servers }, databaseUrl }, topology, nats, pg, logs, provisioned, migrated, embedded, close, [Symbol.asyncDispose]: close };
  } catch (e) {
    for (const c of cleanup) await c().catch(() => undefined);
    throw e;
  }
}
