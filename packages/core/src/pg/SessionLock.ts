import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { MisterSmithError, msError } from '../errors/MisterSmithError.js';
import { pgFailure } from './pgFailure.js';
import type { DatabaseHandle } from './createDatabase.js';
import type { Database } from './schema.js';

/**
 * The key of a session advisory lock: a name (locked as `(0x4d53, hashtext(name))`, the form the
 * projections, rebuilds and the timer scheduler use) or a 64-bit key (the bridge's `lockKey`).
 */
export type SessionLockKey = string | bigint;

/** First key of every named Mister Smith advisory lock ('MS'); the second is `hashtext(name)`. */
export const SESSION_LOCK_CLASS = 0x4d53;

/** Callbacks of a {@link SessionLock}. */
export interface SessionLockOptions {
  /** Channels the lock's session LISTENs on while it holds the lock (e.g. the outbox channel). */
  readonly listen?: readonly string[];
  /** A notification on one of `listen`. */
  onNotify?(notification: pg.Notification): void;
  /** The session holding the lock dropped (a cut connection, a terminated backend, a PostgreSQL restart): the lock is gone with it. */
  onLost?(error: MisterSmithError): void;
  /**
   * For this long after the session holding the lock dropped, `tryAcquire` answers false without
   * asking PostgreSQL: the standbys, likelier healthy than the instance whose connection just
   * died, get the lock first (default 0: stand again at once). Two of the standbys' retry
   * intervals is a good value.
   */
  readonly rejoinDelayMs?: number;
}

function lockCall(fn: 'pg_try_advisory_lock' | 'pg_advisory_unlock', key: SessionLockKey): { text: string; values: unknown[] } {
  return typeof key === 'bigint'
    ? { text: `SELECT ${fn}($1::bigint) AS ok`, values: [key.toString()] }
    : { text: `SELECT ${fn}(${SESSION_LOCK_CLASS}, hashtext($1)) AS ok`, values: [key] };
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The one election primitive of the project: a PostgreSQL session advisory lock on a dedicated
 * connection that this object owns. Every instance that wants a role (the projection runner of one
 * projection, the outbox bridge, a rebuild, the timer scheduler) creates one and calls
 * `tryAcquire` until it gets it; the holder works on `db` (the same session, so its writes stop
 * when the lock is gone) and calls `release` when done. PostgreSQL releases the lock when the
 * session ends, so a standby takes over when the holder is killed or cut off: `onLost` fires on the
 * holder as soon as the client notices, and `check` notices a silently dead socket.
 *
 * @example
 * await using lock = new SessionLock(pg, 'mister_smith.projection:agent-state');
 * if (await lock.tryAcquire()) await lock.db.selectFrom('agents.state').selectAll().execute();
 */
export class SessionLock implements AsyncDisposable {
  readonly key: SessionLockKey;
  readonly #pg: DatabaseHandle;
  readonly #options: SessionLockOptions;
  #client: pg.PoolClient | undefined;
  #db: Kysely<Database> | undefined;
  #held = false;
  #pid: number | undefined;
  /** When the held session last dropped (performance.now()). */
  #lostAt: number | undefined;

  constructor(pg: DatabaseHandle, key: SessionLockKey, options: SessionLockOptions = {}) {
    if (typeof key === 'string' && key.length === 0) throw msError('INVALID_ARGUMENT', 'a session lock needs a non-empty name');
    this.#pg = pg;
    this.key = key;
    this.#options = options;
    if (options.rejoinDelayMs !== undefined && !(Number.isFinite(options.rejoinDelayMs) && options.rejoinDelayMs >= 0)) {
      throw msError('INVALID_ARGUMENT', `rejoinDelayMs must be a number >= 0, got ${String(options.rejoinDelayMs)}`);
    }
    for (const c of options.listen ?? []) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(c)) throw msError('INVALID_ARGUMENT', `invalid notification channel ${JSON.stringify(c)}`);
    }
  }

  /** Whether this object holds the lock (as far as the client knows; `check` asks the server). */
  get held(): boolean {
    return this.#held;
  }

  /** The backend pid of the session holding the lock (what `pg_terminate_backend` takes), while held. */
  get pid(): number | undefined {
    return this.#held ? this.#pid : undefined;
  }

  /** A kysely handle on the lock's own session (one connection: statements run one after the other). CLOSED when not held. */
  get db(): Kysely<Database> {
    if (!this.#held || !this.#db) throw msError('CLOSED', `the session lock ${String(this.key)} is not held`);
    return this.#db;
  }

  /** The raw client of the lock's session, while held. */
  get client(): pg.PoolClient | undefined {
    return this.#held ? this.#client : undefined;
  }

  /**
   * Tries once to take the lock, on the connection it keeps between tries (opened on the first
   * try); LISTENs on `listen` once it has it. True when held; false when another session holds
   * it, or within `rejoinDelayMs` of losing it. POSTGRES_UNAVAILABLE when PostgreSQL cannot be
   * reached (the connection is dropped and reopened at the next try).
   */
  async tryAcquire(): Promise<boolean> {
    if (this.#held) return true;
    if (this.#lostAt !== undefined && performance.now() - this.#lostAt < (this.#options.rejoinDelayMs ?? 0)) return false;
    const c = await this.#connection();
    try {
      const { text, values } = lockCall('pg_try_advisory_lock', this.key);
      const r = await c.query<{ ok: boolean }>(text, values);
      if (r.rows[0]?.ok !== true) return false;
      const pid = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      this.#pid = pid.rows[0]?.pid;
      for (const channel of this.#options.listen ?? []) await c.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (e) {
      this.#drop(c, e, false);
      throw pgFailure(e, `taking the session lock ${String(this.key)}`);
    }
    this.#held = true;
    return true;
  }

  /** Asks the server whether the lock's session still answers within `timeoutMs`; drops it (and fires `onLost`) when not. */
  async check(timeoutMs = 5000): Promise<boolean> {
    const c = this.#client;
    if (!this.#held || !c) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(msError('TIMEOUT', `the session of lock ${String(this.key)} did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([c.query('SELECT 1'), timeout]);
      return this.#held;
    } catch (e) {
      this.#drop(c, e, true);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Releases the lock (UNLISTEN, unlock) and closes the session: no session state may outlive the
   * role. Safe to call twice and when not held. A failure to unlock is reported after the session
   * is closed, which releases the lock anyway.
   */
  async release(): Promise<void> {
    const c = this.#client;
    if (!c) return;
    const held = this.#held;
    this.#client = undefined;
    this.#db = undefined;
    this.#held = false;
    this.#pid = undefined;
    let failure: unknown;
    try {
      if (held) {
        if ((this.#options.listen ?? []).length > 0) await c.query('UNLISTEN *');
        const { text, values } = lockCall('pg_advisory_unlock', this.key);
        await c.query(text, values);
      }
    } catch (e) {
      failure = e;
    }
    c.release(true);
    if (failure !== undefined) throw pgFailure(failure, `releasing the session lock ${String(this.key)}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  async #connection(): Promise<pg.PoolClient> {
    if (this.#client) return this.#client;
    let c: pg.PoolClient;
    try {
      c = await this.#pg.connect();
    } catch (e) {
      throw pgFailure(e, `opening the session of lock ${String(this.key)}`);
    }
    // These fire late too: a dropped session's 'end' may come after the next try opened a new one,
    // so each drops only its own client, never the one that replaced it.
    c.on('error', (e: Error) => this.#drop(c, e, true));
    c.on('end', () => this.#drop(c, msError('POSTGRES_UNAVAILABLE', `the session of lock ${String(this.key)} ended`), true));
    c.on('notification', (n: pg.Notification) => this.#options.onNotify?.(n));
    this.#client = c;
    // One connection behind a kysely handle: the pool hands out this client, and never closes it.
    const client = c;
    this.#db = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: {
          connect: async () => {
            if (this.#client !== client) throw msError('POSTGRES_UNAVAILABLE', `the session of lock ${String(this.key)} is gone`);
            return { query: client.query.bind(client) as pg.PoolClient['query'], release: () => undefined };
          },
          end: async () => undefined,
        },
      }),
    });
    return c;
  }

  #drop(c: pg.PoolClient, e: unknown, notify: boolean): void {
    if (this.#client !== c) return;
    this.#client = undefined;
    this.#db = undefined;
    const wasHeld = this.#held;
    this.#held = false;
    this.#pid = undefined;
    if (wasHeld) this.#lostAt = performance.now();
    c.release(e instanceof Error ? e : true);
    if (wasHeld && notify) this.#options.onLost?.(pgFailure(e, `the session of lock ${String(this.key)} dropped`));
  }
}
