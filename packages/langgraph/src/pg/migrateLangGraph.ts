import type { DatabaseHandle } from '@mister-smith/core';
import { LangGraphError } from '../errors/LangGraphError.js';
import { langGraphMigrations } from './migrations.js';

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** Validates a PostgreSQL schema name for the adapter's tables (it is spliced into SQL). */
export function assertSchemaName(schema: string): string {
  if (!SCHEMA.test(schema)) throw new LangGraphError('INVALID_CONFIG', `invalid schema name ${JSON.stringify(schema)}: expected [a-z_][a-z0-9_]{0,62}`, { details: { schema } });
  return schema;
}

/**
 * Creates the schema and applies the adapter's pending migrations, under a transaction-scoped
 * advisory lock so processes starting together apply each migration once. Returns how many ran.
 */
export async function migrateLangGraph(pg: DatabaseHandle, schema: string): Promise<number> {
  const s = `"${assertSchemaName(schema)}"`;
  const migrations = langGraphMigrations(schema);
  return pg.withClient(async (c) => {
    await c.query('BEGIN');
    try {
      await c.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`mister-smith.langgraph.${schema}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${s}.migrations (v integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await c.query<{ v: number | null }>(`SELECT max(v) AS v FROM ${s}.migrations`);
      const from = (rows[0]?.v ?? -1) + 1;
      for (let v = from; v < migrations.length; v++) {
        await c.query(migrations[v]!);
        await c.query(`INSERT INTO ${s}.migrations (v) VALUES ($1)`, [v]);
      }
      await c.query('COMMIT');
      return Math.max(0, migrations.length - from);
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  });
}
