import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { redactUrl } from '../config/loadConfig.js';
import { msError } from '../errors/MisterSmithError.js';
import type { Database } from './schema.js';

// bigint columns hold stream sequences and epochs, far below 2^53: read them as numbers.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** A kysely database handle plus the pool behind it. */
export interface DatabaseHandle extends AsyncDisposable {
  readonly db: Kysely<Database>;
  /** The connection string with its password redacted. */
  readonly url: string;
  /** Runs raw pg work on a dedicated client (COPY, LISTEN, advisory locks). */
  withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Opens a dedicated connection that the caller owns (LISTEN, session advisory locks). */
  connect(): Promise<pg.PoolClient>;
  /**
   * A small separate pool whose sessions are marked as the framework's own
   * (`mister_smith.origin = 'framework'`), so single-statement writes need no transaction to keep
   * the outbox triggers quiet. Created on first use, closed with the handle.
   */
  framework(): Kysely<Database>;
  close(): Promise<void>;
}

/**
 * Opens a pooled PostgreSQL connection through kysely + pg and checks that it answers.
 *
 * @example
 * await using pgh = await createDatabase(process.env.DATABASE_URL!);
 * await migrateToLatest(pgh.db);
 */
export async function createDatabase(connectionString: string, options: { max?: number; applicationName?: string } = {}): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, types, application_name: options.applicationName ?? 'mister-smith', connectionTimeoutMillis: 5000 });
  // An idle client that loses its server emits 'error' on the pool; without a listener that kills the process.
  pool.on('error', () => undefined);
  // A checked-out client whose server connection dies emits 'error' too: the query in flight
  // rejects on its own, so the event only needs a listener to not kill the process.
  pool.on('connect', (c) => { c.on('error', () => undefined); });
  try {
    const c = await pool.connect();
    c.release();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw msError('POSTGRES_UNAVAILABLE', `cannot reach PostgreSQL at ${redactUrl(connectionString)}: ${(e as Error).message}`, { cause: e, details: { url: redactUrl(connectionString) } });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let frameworkDb: Kysely<Database> | undefined;
  const framework = () => {
    if (!frameworkDb) {
      // The mark is a startup parameter of the session, not a SET after connecting: a SET whose
      // error was dropped left a session that wrote unmarked (its rows echoed back through the
      // outbox). Now a session is marked from its first statement, or it does not open at all.
      const fpool = new pg.Pool({
        ...frameworkConnection(connectionString), max: 2, types,
        application_name: `${options.applicationName ?? 'mister-smith'}-framework`, connectionTimeoutMillis: 5000,
      });
      fpool.on('error', () => undefined);
      fpool.on('connect', (c) => { c.on('error', () => undefined); });
      frameworkDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: fpool }) });
    }
    return frameworkDb;
  };
  let closed: Promise<void> | undefined;
  // kysely ends the pool only if it ran a query; end it here too so an idle handle never keeps the process alive.
  const close = () => (closed ??= Promise.all([db.destroy(), frameworkDb?.destroy()]).then(async () => { if (!pool.ended) await pool.end(); }));
  return {
    db,
    url: redactUrl(connectionString),
    async withClient(fn) {
      const client = await pool.connect();
      try { return await fn(client); } finally { client.release(); }
    },
    connect: () => pool.connect(),
    framework,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The setting that marks a session as the framework's own (the outbox triggers skip its rows). */
const FRAMEWORK_ORIGIN = '-c mister_smith.origin=framework';

/**
 * Connection settings of a framework session: the connection string with `mister_smith.origin`
 * added to its startup `options` (pg lets a connection string's own `options` win over the
 * config's, so they are merged into the string).
 */
export function frameworkConnection(connectionString: string): { connectionString: string } | { connectionString: string; options: string } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    // A keyword/value string ("host=... dbname=..."): pg reads no options from it, the config's stand.
    return { connectionString, options: FRAMEWORK_ORIGIN };
  }
  const own = url.searchParams.get('options');
  url.searchParams.set('options', own ? `${own} ${FRAMEWORK_ORIGIN}` : FRAMEWORK_ORIGIN);
  return { connectionString: url.toString() };
}

/**
 * Runs `fn` in a transaction marked as the framework's own (`SET LOCAL mister_smith.origin`), so
 * the outbox triggers do not echo the framework's writes back to NATS.
 */
export async function frameworkTransaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT set_config('mister_smith.origin', 'framework', true)`.execute(trx);
    return fn(trx);
  });
}
