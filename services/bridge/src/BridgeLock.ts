import { msError, type DatabaseHandle, type MisterSmithError } from '@mister-smith/core';
import type pg from 'pg';
import { pgFailure } from './pgFailure.js';

/** Default key of the bridge's session advisory lock ("MS_BRDGE" in ASCII). */
export const BRIDGE_LOCK_KEY = 0x4d535f4252444745n;

/** The notification channel the outbox triggers wake the bridge on. */
export const OUTBOX_CHANNEL = 'mister_smith_outbox';

/** What the lock reports while it is held. */
export interface BridgeLockEvents {
  /** The connection holding the lock dropped: publishing must stop. */
  onLost(error: MisterSmithError): void;
  /** A `NOTIFY mister_smith_outbox` arrived. */
  onNotify(): void;
}

/**
 * The session advisory lock that elects the one active bridge, on a dedicated connection that also
 * LISTENs for outbox notifications. The lock lives exactly as long as that connection: when it drops,
 * the lock is gone and `onLost` fires.
 */
export class BridgeLock {
  readonly #pg: DatabaseHandle;
  readonly #key: string;
  readonly #events: BridgeLockEvents;
  #client: pg.PoolClient | undefined;
  #held = false;

  constructor(pg: DatabaseHandle, key: bigint, events: BridgeLockEvents) {
    this.#pg = pg;
    this.#key = key.toString();
    this.#events = events;
  }

  get held(): boolean {
    return this.#held;
  }

  /** Tries once to take the lock (keeping the connection for the next try); LISTENs when it got it. */
  async tryAcquire(): Promise<boolean> {
    if (this.#held) return true;
    const c = await this.#connection();
    try {
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [this.#key]);
      if (r.rows[0]?.ok !== true) return false;
      await c.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (e) {
      this.#drop(e);
      throw pgFailure(e, 'taking the bridge lock');
    }
    this.#held = true;
    return true;
  }

  /** Checks the lock connection still answers (a silently dead socket holds no lock); drops it if not. */
  async check(timeoutMs = 5000): Promise<boolean> {
    const c = this.#client;
    if (!this.#held || !c) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(msError('TIMEOUT', `the bridge lock connection did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([c.query('SELECT 1'), timeout]);
      return this.#held;
    } catch (e) {
      this.#drop(e);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** UNLISTENs, releases the lock and closes the connection. Safe to call twice. */
  async release(): Promise<void> {
    const c = this.#client;
    if (!c) return;
    const held = this.#held;
    this.#client = undefined;
    this.#held = false;
    let failure: unknown;
    try {
      if (held) {
        await c.query(`UNLISTEN ${OUTBOX_CHANNEL}`);
        await c.query('SELECT pg_advisory_unlock($1::bigint)', [this.#key]);
      }
    } catch (e) {
      failure = e; // closing the connection below ends the session, which releases the lock anyway
    }
    // Destroy rather than return to the pool: no session state (LISTEN, lock) may outlive the bridge.
    c.release(true);
    if (failure !== undefined) throw pgFailure(failure, 'releasing the bridge lock');
  }

  async #connection(): Promise<pg.PoolClient> {
    if (this.#client) return this.#client;
    let c: pg.PoolClient;
    try {
      c = await this.#pg.connect();
    } catch (e) {
      throw pgFailure(e, 'opening the bridge lock connection');
    }
    c.on('error', (e: Error) => this.#drop(e));
    c.on('end', () => this.#drop(msError('POSTGRES_UNAVAILABLE', 'the bridge lock connection ended')));
    c.on('notification', (n: pg.Notification) => {
      if (n.channel === OUTBOX_CHANNEL) this.#events.onNotify();
    });
    this.#client = c;
    return c;
  }

  #drop(e: unknown): void {
    const c = this.#client;
    if (!c) return;
    this.#client = undefined;
    const wasHeld = this.#held;
    this.#held = false;
    c.release(e instanceof Error ? e : true);
    if (wasHeld) this.#events.onLost(pgFailure(e, 'the bridge lock connection dropped'));
  }
}
