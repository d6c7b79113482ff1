/**
 * The state plane and the bridge under a least-privilege PostgreSQL role: the SQL of
 * test/e2e/README-snippets/postgres-role.sql (run as is, as the schema owner) is enough for
 * writes, flushes, reads, hydration, SQL edits with their outbox rows and the bridge, while DDL is
 * refused. Migrations run as the owner.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  buildTopology, connectNats, createDatabase, createStateStore, deprovision, JetStreamKvStore, provision, silentLogger,
  type DatabaseHandle, type NatsHandle, type Topology,
} from '@mister-smith/core';
import { testServers } from '@mister-smith/core/testing';
import { startBridge } from '@mister-smith/bridge';
import { createTestDatabase, type TestDatabase } from '../../e2e/harness/createTestDatabase.js';

const snippet = fileURLToPath(new URL('../../e2e/README-snippets/postgres-role.sql', import.meta.url));

/** Fills in the psql variables of the snippet (`:"ident"`, `:'literal'`). */
function withVariables(sql: string, vars: Record<string, string>): string {
  return sql
    .replace(/:"(\w+)"/g, (_, k: string) => `"${vars[k]!.replace(/"/g, '""')}"`)
    .replace(/:'(\w+)'/g, (_, k: string) => `'${vars[k]!.replace(/'/g, "''")}'`);
}

describe('PostgreSQL: the services under a least-privilege role', () => {
  let db: TestDatabase;
  let role: string;
  let app: DatabaseHandle;
  let nats: NatsHandle;
  let topology: Topology;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const asApp = async (text: string) => db.query(text, [], db.urlAs(role, password));

  beforeAll(async () => {
    db = await createTestDatabase('pgrole');
    role = `mister_smith_app_${testServers().runId}_${randomBytes(2).toString('hex')}`;
    // As the owner of the migrated schema (the admin user ran the migrations), in the database.
    await db.query(withVariables(await readFile(snippet, 'utf8'), { app_role: role, app_password: password, app_db: db.name }));
    app = await createDatabase(db.urlAs(role, password), { max: 4, applicationName: 'ms-app-role' });
    nats = await connectNats({ servers: [testServers().natsUrl], name: 'pgrole' });
    topology = buildTopology({ namespace: `${testServers().runId}_role${randomBytes(2).toString('hex')}`, profile: 'test', clusterSize: nats.clusterSize });
    await provision(nats, topology);
  });

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    if (nats) { await deprovision(nats, topology).catch(() => undefined); await nats.close(); }
    if (db && role) {
      await db.query(`REASSIGN OWNED BY "${role}" TO CURRENT_USER; DROP OWNED BY "${role}"`).catch(() => undefined);
      await db.admin(`DROP ROLE IF EXISTS "${role}"`);
    }
    await db?.drop();
  });

  it('connects as a role that is neither superuser nor owner of anything', async () => {
    const r = await asApp(`SELECT current_user AS who, r.rolsuper, (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) AS owned
      FROM pg_roles r WHERE r.rolname = current_user`);
    expect(r.rows[0]).toMatchObject({ who: role, rolsuper: false, owned: '0' });
  });

  it('runs the state plane as that role: write, flush, read back from PostgreSQL, hydrate, postgres durability', async () => {
    const store = await createStateStore({ nats, pg: app, topology }, { writerId: 'app', flushThreshold: 1000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) await store.write(`role-${i}`, 'count', i);
    await store.write('role-0', 'plan', { steps: ['a', 'b'] });
    await store.delete('role-1', 'count');
    expect((await store.flush()).written).toBe(6);
    const durable = await store.write('role-2', 'count', 20, { durability: 'postgres' });
    await store.close();
    const rows = await asApp(`SELECT agent_id, state_key, state_value, version, tombstone FROM agents.state ORDER BY agent_id, state_key`);
    expect(rows.rows).toHaveLength(6);
    expect(rows.rows.find((r) => r.agent_id === 'role-2')).toMatchObject({ state_value: 20, version: String(durable.version.seq) });
    expect(rows.rows.find((r) => r.agent_id === 'role-1')).toMatchObject({ tombstone: true });

    // KV loses the keys (TTL, purge): reads come back from PostgreSQL as the role, and hydration refills KV.
    const kv = await JetStreamKvStore.open(nats, topology.buckets.agentState.bucket);
    for (const k of await kv.keys()) await kv.purge(k);
    const fresh = await createStateStore({ nats, pg: app, topology }, { writerId: 'app2', watch: false });
    const e = await fresh.readEntry('role-0', 'plan');
    expect(e).toMatchObject({ value: { steps: ['a', 'b'] }, source: 'postgres' });
    expect(await fresh.read('role-1', 'count')).toBeUndefined();
    const h = await fresh.hydrateAgent('role-3');
    expect(h.keys).toBe(1);
    expect(await fresh.readAll('role-4')).toEqual({ count: 4 });
    await fresh.close();
  });

  it('lets the role edit state in SQL (the outbox trigger runs with its privileges) and run the bridge', async () => {
    await asApp(`UPDATE agents.state SET state_value = '42'::jsonb WHERE agent_id = 'role-4' AND state_key = 'count'`);
    await asApp(`INSERT INTO tasks.queue (task_type, payload) VALUES ('role-test', '{"n":1}'::jsonb)`);
    const before = await asApp(`SELECT count(*) AS n FROM mister_smith.outbox WHERE published_at IS NULL`);
    expect(Number(before.rows[0]!.n)).toBe(2);
    const bridge = await startBridge({ pg: app, nats, topology, pollIntervalMs: 100, logger: silentLogger() });
    try {
      let left = -1;
      for (let i = 0; i < 80 && left !== 0; i++) {
        left = Number((await asApp(`SELECT count(*) AS n FROM mister_smith.outbox WHERE published_at IS NULL`)).rows[0]!.n);
        if (left !== 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(left, JSON.stringify(bridge.status().lastError)).toBe(0);
      expect(bridge.status()).toMatchObject({ active: true, deadLettered: 0 });
    } finally {
      await bridge.stop();
    }
  });

  it('refuses DDL and other owner-only statements to the role', async () => {
    for (const ddl of [
      'DROP TABLE agents.state',
      'TRUNCATE agents.state',
      'ALTER TABLE agents.state ADD COLUMN x int',
      'CREATE TABLE agents.extra (id int)',
      'CREATE TABLE public.extra (id int)',
      'DROP TRIGGER trigger_agent_state_outbox ON agents.state',
      'ALTER TABLE agents.state DISABLE TRIGGER trigger_agent_state_outbox',
      'CREATE SCHEMA sneaky',
      'DROP SCHEMA mister_smith CASCADE',
    ]) {
      const r = await asApp(ddl).then(() => 'allowed', (e: pg.DatabaseError) => e.code);
      expect(r, ddl).toBe('42501');
    }
    const still = await db.query(`SELECT count(*) AS n FROM agents.state`);
    expect(Number(still.rows[0]!.n)).toBeGreaterThan(0);
  });
});
