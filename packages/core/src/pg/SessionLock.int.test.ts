import { describe, expect, it, vi } from 'vitest';
import { startTestEnv } from '../testing/startTestEnv.js';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { SessionLock } from './SessionLock.js';

describe('SessionLock (the election of runners, bridges, rebuilds and the scheduler)', () => {
  it('elects one holder; a standby takes over when the holder\'s session dies, and the holder is told', async () => {
    await using env = await startTestEnv();
    const lost: MisterSmithError[] = [];
    await using a = new SessionLock(env.pg, 'test.election', { onLost: (e) => lost.push(e) });
    await using b = new SessionLock(env.pg, 'test.election');
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    expect(await b.tryAcquire()).toBe(false);
    expect(a.held && !b.held).toBe(true);
    // The holder's session works like any connection, and is the lock's.
    const { rows } = await a.client!.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(rows[0]!.pid).toBe(a.pid);
    expect((await a.db.selectNoFrom((eb) => eb.lit(1).as('one')).execute())[0]).toEqual({ one: 1 });

    // Kill the holder's session, as a cut connection or a PostgreSQL restart would.
    await env.pg.withClient((c) => c.query('SELECT pg_terminate_backend($1)', [a.pid]));
    await vi.waitFor(async () => expect(await a.check(2000)).toBe(false), { timeout: 10_000, interval: 50 });
    expect(a.held).toBe(false);
    // The holder is told once (the socket's close may be reported just after check() saw it).
    await vi.waitFor(() => expect(lost).toHaveLength(1), { timeout: 5_000, interval: 20 });
    expect(lost[0]!.code).toBe('POSTGRES_UNAVAILABLE');
    expect(() => a.db).toThrow(/not held/);
    // The lock is free once the terminated backend has exited (pg_terminate_backend only signals it).
    await vi.waitFor(async () => expect(await b.tryAcquire()).toBe(true), { timeout: 10_000, interval: 50 });
    // The old holder stands again as a standby (a new session), and gets the lock once b releases it.
    expect(await a.tryAcquire()).toBe(false);
    await b.release();
    await b.release();
    expect(await a.tryAcquire()).toBe(true);
  });

  it('a dead session\'s late end never drops the session that replaced it', async () => {
    await using env = await startTestEnv();
    const lost: MisterSmithError[] = [];
    await using a = new SessionLock(env.pg, 'test.replaced', { onLost: (e) => lost.push(e) });
    // Each round kills the holder's backend, lets check() see it, and takes the lock again at once
    // on a new session, while the old socket's 'end' is still on its way.
    for (let round = 1; round <= 10; round++) {
      expect(await a.tryAcquire()).toBe(true);
      await env.pg.withClient((c) => c.query('SELECT pg_terminate_backend($1)', [a.pid]));
      await vi.waitFor(async () => expect(await a.check(2000)).toBe(false), { timeout: 10_000, interval: 20 });
      await vi.waitFor(async () => expect(await a.tryAcquire()).toBe(true), { timeout: 10_000, interval: 20 });
      // The new session is alive and still the lock's after the old one's events have all arrived.
      await new Promise((r) => setTimeout(r, 50));
      expect(a.held).toBe(true);
      expect(await a.check(2000)).toBe(true);
      await a.release();
      expect(lost).toHaveLength(round);
    }
  });

  it('stands back for rejoinDelayMs after losing its session, so a standby takes the free lock first', async () => {
    await using env = await startTestEnv();
    await using a = new SessionLock(env.pg, 'test.rejoin', { rejoinDelayMs: 3_000 });
    await using b = new SessionLock(env.pg, 'test.rejoin');
    expect(await a.tryAcquire()).toBe(true);
    await env.pg.withClient((c) => c.query('SELECT pg_terminate_backend($1)', [a.pid]));
    await vi.waitFor(async () => expect(await a.check(2000)).toBe(false), { timeout: 10_000, interval: 20 });
    const lostAt = performance.now();
    // The lock is free (once the backend has exited: b gets it), yet a declines while the delay runs.
    await vi.waitFor(async () => expect(await b.tryAcquire()).toBe(true), { timeout: 10_000, interval: 20 });
    await b.release();
    expect(await a.tryAcquire()).toBe(false);
    const locks = await env.pg.withClient((c) => c.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`));
    expect(performance.now() - lostAt).toBeLessThan(3_000);
    expect(locks.rows[0]).toEqual({ n: 0 });
    // After the delay it stands again like any instance.
    await vi.waitFor(async () => expect(await a.tryAcquire()).toBe(true), { timeout: 8_000, interval: 50 });
    expect(performance.now() - lostAt).toBeGreaterThanOrEqual(3_000);
    expect(() => new SessionLock(env.pg, 'x', { rejoinDelayMs: -1 })).toThrow(/rejoinDelayMs must be a number >= 0/);
  });

  it('keeps a 64-bit key apart from named keys, LISTENs while held, and releases on dispose', async () => {
    await using env = await startTestEnv();
    const notes: string[] = [];
    {
      await using big = new SessionLock(env.pg, 0x4d535f54455354n, { listen: ['test_channel'], onNotify: (n) => notes.push(n.payload ?? '') });
      await using named = new SessionLock(env.pg, 'test.other');
      expect(await big.tryAcquire()).toBe(true);
      expect(await named.tryAcquire()).toBe(true);
      await env.pg.withClient((c) => c.query(`NOTIFY test_channel, 'hello'`));
      await vi.waitFor(() => expect(notes).toEqual(['hello']), { timeout: 5000, interval: 20 });
      const other = new SessionLock(env.pg, 0x4d535f54455354n);
      expect(await other.tryAcquire()).toBe(false);
      await other.release();
    }
    const locks = await env.pg.withClient((c) => c.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`));
    expect(locks.rows[0]).toEqual({ n: 0 });
    expect(() => new SessionLock(env.pg, 'x', { listen: ['bad channel'] })).toThrow(/invalid notification channel/);
  });
});
