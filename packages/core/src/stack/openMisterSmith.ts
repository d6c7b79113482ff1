import { loadConfig, type MisterSmithConfig, type NatsConnectionConfig } from '../config/loadConfig.js';
import { buildTopology, type TopologyProfile } from '../config/topology.js';
import { msError } from '../errors/MisterSmithError.js';
import { JetStreamEventLog } from '../eventlog/JetStreamEventLog.js';
import { connectNats } from '../nats/connectNats.js';
import { provision } from '../nats/provision.js';
import { createDatabase } from '../pg/createDatabase.js';
import { migrateToLatest } from '../pg/migrateToLatest.js';
import type { Stack } from './Stack.js';

/** Options of `openMisterSmith`. What is left out is read from the environment as `loadConfig` reads it. */
export interface OpenMisterSmithOptions {
  /** NATS server URL(s) (`NATS_URL`). */
  readonly natsUrl?: string | readonly string[];
  /** PostgreSQL connection string (`DATABASE_URL`). */
  readonly databaseUrl?: string;
  /** Prefix of every stream, bucket and subject (`MISTER_SMITH_NAMESPACE`); unset, the seed's names. */
  readonly namespace?: string;
  /** Stream and bucket limits: `production` (the seed's) or `test` (small). `MISTER_SMITH_PROFILE`, default `production`. */
  readonly profile?: TopologyProfile;
  /** Credentials and TLS for NATS (`NATS_USER`, `NATS_CREDS`, `NATS_TLS_CA`, ...). */
  readonly nats?: Omit<NatsConnectionConfig, 'servers'>;
  /** Provision streams and buckets and migrate PostgreSQL (default true; both are idempotent). */
  readonly setup?: boolean;
  /** Where the defaults come from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A whole configuration to start from instead of the environment's (the options above still win). */
  readonly config?: MisterSmithConfig;
  readonly onProgress?: (message: string) => void;
}

/** Merges explicit options over the environment's configuration; both URLs are required. */
export function resolveOpenConfig(options: OpenMisterSmithOptions): MisterSmithConfig & { readonly databaseUrl: string } {
  const fromEnv = options.config ?? loadConfig(options.env ?? process.env);
  const servers = options.natsUrl === undefined ? fromEnv.nats.servers : typeof options.natsUrl === 'string' ? options.natsUrl.split(',').map((s) => s.trim()).filter(Boolean) : options.natsUrl;
  const databaseUrl = options.databaseUrl ?? fromEnv.databaseUrl;
  if (!servers || servers.length === 0) throw msError('INVALID_CONFIG', 'openMisterSmith needs a NATS URL (natsUrl or NATS_URL); for local servers use startLocalStack from @mister-smith/core/embedded');
  if (!databaseUrl) throw msError('INVALID_CONFIG', 'openMisterSmith needs a PostgreSQL URL (databaseUrl or DATABASE_URL); for local servers use startLocalStack from @mister-smith/core/embedded');
  const namespace = options.namespace ?? fromEnv.namespace;
  return {
    ...fromEnv,
    nats: { ...fromEnv.nats, ...options.nats, servers },
    databaseUrl,
    ...(namespace === undefined ? {} : { namespace }),
    profile: options.profile ?? fromEnv.profile,
  };
}

/**
 * From URLs to a ready store in one call: connects to NATS and PostgreSQL, provisions the
 * namespace's streams and buckets, and migrates the database. The result carries what
 * `createStateStore`, `createSupervisor`, `subscribe` and the projections take; `close()` closes
 * both connections (it starts no server: for local ones see `@mister-smith/core/embedded`).
 *
 * @example
 * const ms = await openMisterSmith({ natsUrl: 'nats://127.0.0.1:4222', databaseUrl: 'postgres://app@db/app', namespace: 'myapp' });
 * const store = await createStateStore(ms);
 * await store.write('agent-1', 'plan', { steps: [] });
 * await store.close();
 * await ms.close();
 */
export async function openMisterSmith(options: OpenMisterSmithOptions = {}): Promise<Stack> {
  const config = resolveOpenConfig(options);
  const say = options.onProgress ?? (() => undefined);
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const nats = await connectNats(config.nats);
    cleanup.unshift(() => nats.close());
    const pg = await createDatabase(config.databaseUrl);
    cleanup.unshift(() => pg.close());
    const topology = buildTopology({ namespace: config.namespace, profile: config.profile, clusterSize: nats.clusterSize, ...(config.placementCluster ? { placementCluster: config.placementCluster } : {}) });
    const setup = options.setup !== false;
    const provisioned = setup ? await provision(nats, topology) : { created: [], updated: [], unchanged: [], ignoredByServer: [], disabledFeatures: nats.gates.disabled };
    if (setup) say(`NATS provisioned: ${provisioned.created.length} created, ${provisioned.updated.length} updated, ${provisioned.unchanged.length} unchanged`);
    const migrated = setup ? await migrateToLatest(pg.db) : { applied: [], alreadyApplied: 0 };
    if (setup) say(`PostgreSQL migrated: ${migrated.applied.length} applied, ${migrated.alreadyApplied} already there`);
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
    return { config, topology, nats, pg, logs, provisioned, migrated, embedded: {}, close, [Symbol.asyncDispose]: close };
  } catch (e) {
    for (const c of cleanup) await c().catch(() => undefined);
    throw e;
  }
}
