import {
  buildTopology, connectNats, createDatabase, msError, type DatabaseHandle, type MisterSmithConfig, type NatsHandle, type Topology,
} from '@mister-smith/core';
import { sql } from 'kysely';
import { resolveConnection, type ResolvedConnection } from './resolveConnection.js';

/** The connections of one command. */
export interface Clients extends AsyncDisposable {
  readonly config: MisterSmithConfig;
  readonly resolved: ResolvedConnection;
  readonly nats: NatsHandle;
  readonly topology: Topology;
  /** PostgreSQL; `requirePg()` explains how to configure it when it is unknown. */
  readonly pg: DatabaseHandle | undefined;
  requirePg(): DatabaseHandle;
  /** PostgreSQL when it is known (DATABASE_URL or the running stack), connected on first use; else undefined. */
  optionalPg(): Promise<DatabaseHandle | undefined>;
  close(): Promise<void>;
}

/** Options of `openClients`. */
export interface OpenClientsOptions {
  /** Connect to PostgreSQL too (fails when it is unknown or unreachable). Default false. */
  readonly postgres?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Fail after this long when NATS does not answer (default 5 s). */
  readonly timeoutMs?: number;
}

/** The error of a command that needs PostgreSQL when none is configured or running. */
export function postgresUnknown(resolved: ResolvedConnection): Error {
  return msError('INVALID_CONFIG', `DATABASE_URL is not set and no running "mister-smith up" was found (${resolved.stackFile}): set DATABASE_URL, or start "mister-smith up" first`);
}

/**
 * Connects a one-shot command to the servers `resolveConnection` finds, never starting embedded
 * ones. The topology is the configured namespace and profile, sized for the connected cluster.
 *
 * @example
 * await using c = await openClients({ postgres: true });
 * console.log(c.topology.streams.agentState.name);
 */
export async function openClients(options: OpenClientsOptions = {}): Promise<Clients> {
  const resolved = await resolveConnection(options.env);
  const { config } = resolved;
  if (options.postgres && config.databaseUrl === undefined) throw postgresUnknown(resolved);
  const nats = await connectNats({ ...config.nats, name: config.nats.name ?? 'mister-smith-cli' }, { timeoutMs: options.timeoutMs ?? 5000 });
  let pg: DatabaseHandle | undefined;
  try {
    if (options.postgres) pg = await createDatabase(config.databaseUrl!, { max: 4, applicationName: 'mister-smith-cli' });
  } catch (e) {
    await nats.close();
    throw e;
  }
  const topology = buildTopology({
    namespace: config.namespace, profile: config.profile, clusterSize: nats.clusterSize,
    ...(config.placementCluster ? { placementCluster: config.placementCluster } : {}),
  });
  let lazyPg: Promise<DatabaseHandle> | undefined;
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    if (lazyPg && !pg) pg = await lazyPg.catch(() => undefined); // its failure was the caller's error already
    try {
      if (pg) {
        // core's DatabaseHandle.close() ends the pool only once kysely has run a query: otherwise its
        // startup-check connection idles for pg's 10 s idle timeout and keeps the CLI from exiting.
        await sql`SELECT 1`.execute(pg.db);
        await pg.close();
      }
    } finally {
      await nats.close();
    }
  })());
  return {
    config, resolved, nats, topology, pg,
    requirePg() {
      if (!pg) throw postgresUnknown(resolved);
      return pg;
    },
    optionalPg() {
      if (pg) return Promise.resolve(pg);
      if (config.databaseUrl === undefined) return Promise.resolve(undefined);
      return (lazyPg ??= createDatabase(config.databaseUrl, { max: 2, applicationName: 'mister-smith-cli' }));
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
