import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestEnv } from '../testing/index.js';
import { createStateStore } from './createStateStore.js';
import type { FlushReport } from './StateStore.js';

const childScript = fileURLToPath(new URL('../../dist/testing/stateWriterChild.js', import.meta.url));

async function rowsOf(env: { pg: { db: import('kysely').Kysely<import('../pg/schema.js').Database> } }) {
  return env.pg.db.selectFrom('agents.state').select(['agent_id', 'state_key', 'state_value', 'version']).execute();
}

describe('state store: write-behind flush and durability', () => {
  it('flushes once per threshold and once per interval, one transaction each', async () => {
    await using env = await startTestEnv();
    // Threshold alone: the interval is too long to fire during the test.
    const byCount = await createStateStore(env, { flushThreshold: 10, flushIntervalMs: 600_000 });
    const countReports: FlushReport[] = [];
    byCount.onFlush((r) => countReports.push(r));
    await Promise.all(Array.from({ length: 9 }, (_, i) => byCount.write(`t${i}`, 'k', i)));
    expect(countReports).toHaveLength(0);
    await byCount.write('t9', 'k', 9);
    await expect.poll(() => countReports.length, { timeout: 10_000 }).toBe(1);
    expect(countReports[0]).toMatchObject({ rows: 10, written: 10, transactions: 1 });
    // Interval alone: below the threshold, the timer flushes what is dirty in one transaction.
    const byTime = await createStateStore(env, { flushThreshold: 1000, flushIntervalMs: 300 });
    const timeReports: FlushReport[] = [];
    byTime.onFlush((r) => timeReports.push(r));
    await Promise.all(Array.from({ length: 3 }, (_, i) => byTime.write(`i${i}`, 'k', i)));
    await expect.poll(() => timeReports.reduce((n, r) => n + r.rows, 0), { timeout: 10_000 }).toBe(3);
    expect(timeReports.every((r) => r.transactions === 1)).toBe(true);
    expect(await rowsOf(env)).toHaveLength(13);
    await byCount.close();
    await byTime.close();
  });

  it('acknowledges postgres-durability writes only after the row is committed', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { flushThreshold: 1000, flushIntervalMs: 60_000, durability: 'postgres' });
    const w = await store.write('d1', 'plan', { steps: 3 });
    const row = await env.pg.db.selectFrom('agents.state').selectAll().where('agent_id', '=', 'd1').executeTakeFirst();
    expect(row).toMatchObject({ state_value: { steps: 3 }, version: w.version.seq });
    // The framework's own flush is not echoed back to NATS through the outbox.
    const outbox = await env.pg.db.selectFrom('mister_smith.outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(outbox.n)).toBe(0);
    await store.close();
  });

  it('loses no write while PostgreSQL refuses connections, and delivers them all once it is back', async () => {
    await using env = await startTestEnv();
    const dbName = new URL(env.databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.MS_TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    const store = await createStateStore(env, { flushThreshold: 20, flushIntervalMs: 200 });
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.write(`p${i}`, 'v', 0)));
      await store.flush();
      await admin.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
      for (let round = 1; round <= 5; round++) await Promise.all(Array.from({ length: 20 }, (_, i) => store.write(`p${i}`, 'v', round)));
      await expect(store.flush()).rejects.toThrow();
      expect(store.dirtyCount).toBe(20);
    } finally {
      await admin.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await expect.poll(async () => { await store.flush().catch(() => undefined); return store.dirtyCount; }, { timeout: 20_000 }).toBe(0);
    const rows = await rowsOf(env);
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r.state_value === 5)).toBe(true);
    await store.close();
  });

  it('recovers every acknowledged write after the writer is killed with SIGKILL', async () => {
    await using env = await startTestEnv();
    // The child flushes once after round 5 and never again: the writes of the rounds after it are
    // acknowledged and behind in PostgreSQL when it is killed.
    const child = spawn(process.execPath, [childScript], { env: { ...process.env, ...env.childEnv(), WRITER_AGENTS: '20', WRITER_FLUSH_ROUND: '5' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const acked = new Map<string, { value: number; seq: number }>();
    const lines = createInterface({ input: child.stdout! });
    const exited = new Promise((r) => child.once('exit', r));
    let flushed = false;
    for await (const line of lines) {
      if (line === 'flushed 5') flushed = true;
      if (!line.startsWith('{')) continue;
      const a = JSON.parse(line) as { agentId: string; value: number; seq: number };
      const prev = acked.get(a.agentId);
      if (!prev || prev.seq < a.seq) acked.set(a.agentId, { value: a.value, seq: a.seq });
      if (flushed && [...acked.values()].every((v) => v.value >= 10)) { child.kill('SIGKILL'); break; }
    }
    await exited;
    const before = await rowsOf(env);
    const behind = [...acked].filter(([id, a]) => (before.find((r) => r.agent_id === id)?.version ?? 0) < a.seq).length;
    // PostgreSQL holds the flushed round, and every agent's later acknowledged writes are behind it.
    expect(before).toHaveLength(20);
    expect(before.every((r) => r.state_value === 5)).toBe(true);
    expect(behind).toBe(acked.size);
    // The restarted side hydrates each agent: writes acknowledged but never flushed come back from the stream.
    const store = await createStateStore(env);
    let repaired = 0;
    for (const id of acked.keys()) repaired += (await store.hydrateAgent(id)).repaired;
    const after = await rowsOf(env);
    for (const [id, a] of acked) {
      const row = after.find((r) => r.agent_id === id);
      expect(row?.version, id).toBeGreaterThanOrEqual(a.seq);
      expect(row!.state_value as number).toBeGreaterThanOrEqual(a.value);
      expect(await store.read(id, 'n')).toBe(row!.state_value);
    }
    console.log(`SIGKILL recovery: ${acked.size} agents, ${behind} behind in PostgreSQL at the kill, ${repaired} repaired from the stream, 0 lost`);
    expect(repaired).toBe(behind);
    await store.close();
  });
});
