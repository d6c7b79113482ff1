import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { startTestEnv } from '../testing/index.js';
import { createDatabase } from './createDatabase.js';
import { migrateToLatest, migrations, pendingMigrations } from './migrateToLatest.js';

const SEED_TABLES = [
  'agents.registry', 'agents.state', 'tasks.queue',
  'mister_smith.projection_checkpoints', 'mister_smith.event_archive', 'mister_smith.dead_letters', 'mister_smith.outbox',
  'mister_smith.migrations',
];

describe('migrateToLatest', () => {
  it('creates the schemas and tables from an empty database, then applies nothing on a second run', async () => {
    await using env = await startTestEnv({ provision: false, migrate: false });
    const db = env.pg.db;
    const tables = async () => (await sql<{ t: string }>`
      SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
      WHERE table_schema IN ('agents', 'tasks', 'mister_smith') ORDER BY 1`.execute(db)).rows.map((r) => r.t);
    expect(await tables()).toEqual([]);
    expect(await pendingMigrations(db)).toEqual(Object.keys(migrations));

    const first = await migrateToLatest(db);
    expect(first).toEqual({ applied: Object.keys(migrations), alreadyApplied: 0 });
    expect(await tables()).toEqual(expect.arrayContaining(SEED_TABLES));
    expect(await pendingMigrations(db)).toEqual([]);

    const pk = (await sql<{ column_name: string }>`
      SELECT k.column_name FROM information_schema.table_constraints c
      JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema
      WHERE c.table_schema = 'agents' AND c.table_name = 'state' AND c.constraint_type = 'PRIMARY KEY'
      ORDER BY k.ordinal_position`.execute(db)).rows.map((r) => r.column_name);
    expect(pk).toEqual(['agent_id', 'state_key']);
    const stateColumns = (await sql<{ column_name: string; data_type: string }>`
      SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'agents' AND table_name = 'state'`.execute(db)).rows;
    expect(Object.fromEntries(stateColumns.map((c) => [c.column_name, c.data_type]))).toMatchObject({
      state_value: 'jsonb', version: 'bigint', version_epoch: 'bigint', tombstone: 'boolean',
    });
    const taskColumns = (await sql<{ column_name: string }>`
      SELECT column_name FROM information_schema.columns WHERE table_schema = 'tasks' AND table_name = 'queue'`.execute(db)).rows.map((r) => r.column_name);
    expect(taskColumns).toEqual(expect.arrayContaining(['task_id', 'task_type', 'status', 'assigned_agent_id', 'priority', 'payload', 'result', 'error', 'created_at', 'updated_at']));
    const triggers = (await sql<{ trigger_name: string }>`
      SELECT DISTINCT trigger_name FROM information_schema.triggers WHERE event_object_schema IN ('agents', 'tasks') ORDER BY 1`.execute(db)).rows.map((r) => r.trigger_name);
    expect(triggers).toEqual(['trigger_agent_state_outbox', 'trigger_agent_state_reset_meta', 'trigger_task_lifecycle_outbox']);

    const second = await migrateToLatest(db);
    expect(second).toEqual({ applied: [], alreadyApplied: Object.keys(migrations).length });
    const recorded = (await sql<{ name: string }>`SELECT name FROM mister_smith.migrations ORDER BY name`.execute(db)).rows.map((r) => r.name);
    expect(recorded).toEqual(Object.keys(migrations));
  });

  it('applies each migration once when several processes migrate the same database at the same time', async () => {
    await using env = await startTestEnv({ provision: false, migrate: false });
    const others = await Promise.all([1, 2, 3].map(() => createDatabase(env.databaseUrl, { max: 2 })));
    try {
      const reports = await Promise.all([env.pg.db, ...others.map((o) => o.db)].map((db) => migrateToLatest(db)));
      const applied = reports.flatMap((r) => r.applied).sort();
      expect(applied).toEqual(Object.keys(migrations).sort());
      expect(await pendingMigrations(env.pg.db)).toEqual([]);
    } finally {
      for (const o of others) await o.close();
    }
  });
});
