import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, migrateToLatest, type DatabaseHandle } from '@mister-smith/core';
import { testServers } from '@mister-smith/core/testing';

/** A fresh database on the shared PostgreSQL, migrated, dropped by `drop()`. */
export interface TestDatabase extends AsyncDisposable {
  readonly name: string;
  /** Connection string of the database (as the admin user). */
  readonly url: string;
  /** Connection string of the admin database (`postgres`). */
  readonly adminUrl: string;
  /** A pool on the database, opened as the admin user (the owner of what migrations create). */
  readonly pg: DatabaseHandle;
  /** Runs one statement on this database on a short-lived connection of its own (survives terminated backends). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[], connectionString?: string): Promise<pg.QueryResult<R>>;
  /** Runs one statement on the admin database (ALTER DATABASE, pg_terminate_backend, roles). */
  admin<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Opens a pool on this database with another connection string (another role). */
  urlAs(user: string, password?: string): string;
  drop(): Promise<void>;
}

/**
 * Creates `ms_<runId>_<label><rand>` on the shared PostgreSQL (as `startTestEnv` does) and runs every
 * migration as the admin user. The run id prefix lets the global teardown drop it if a spec crashes.
 */
export async function createTestDatabase(label: string, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const { adminDatabaseUrl, runId } = testServers();
  const name = `ms_${runId}_${label}${randomBytes(3).toString('hex')}`;
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`invalid test database name ${name}`);
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  admin.on('error', () => undefined);
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminDatabaseUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  let handle: DatabaseHandle | undefined;
  let dropping: Promise<void> | undefined;
  const drop = () => (dropping ??= (async () => {
    await handle?.close().catch(() => undefined);
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  })());
  try {
    handle = await createDatabase(url, { max: 4, applicationName: `ms-test-${label}` });
    if (options.migrate !== false) await migrateToLatest(handle.db);
  } catch (e) {
    await drop();
    throw e;
  }
  const pgh = handle;
  return {
    name, url, adminUrl: adminDatabaseUrl, pg: pgh,
    admin: (text, values) => admin.query(text, values),
    async query(text, values, connectionString) {
      const c = new pg.Client({ connectionString: connectionString ?? url });
      c.on('error', () => undefined);
      await c.connect();
      try { return await c.query(text, values); } finally { await c.end().catch(() => undefined); }
    },
    urlAs(user, password) {
      const v = new URL(url);
      v.username = user;
      v.password = password ?? '';
      return v.toString();
    },
    drop,
    [Symbol.asyncDispose]: drop,
  };
}
