import { msError } from '@mister-smith/core';
import { CompiledQuery } from 'kysely';
import type { Db } from './dbTypes.js';

/** Runs raw SQL (DDL, which kysely's builder does not cover): a pg client, or `sqlSession(trx)`. */
export interface PgClient {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** Raw SQL on a kysely handle (a transaction, or a handle bound to one session). */
export function sqlSession(db: Db): PgClient {
  return {
    async query<R>(text: string, values: unknown[] = []) {
      const r = await db.executeQuery<R>(CompiledQuery.raw(text, values));
      return { rows: r.rows as R[] };
    },
  };
}

const NAME = /^[a-z_][a-z0-9_]{0,50}\.[a-z_][a-z0-9_]{0,50}$/;

/** Splits and validates `schema.table`. */
export function parseTableName(table: string): { schema: string; name: string } {
  if (!NAME.test(table)) throw msError('INVALID_ARGUMENT', `projection table ${JSON.stringify(table)} must be schema-qualified lower-case identifiers (schema.table)`);
  const [schema, name] = table.split('.') as [string, string];
  return { schema, name };
}

/** The shadow a rebuild fills for `table`: `schema.table__rebuild`. */
export function shadowNameOf(table: string): string {
  const { schema, name } = parseTableName(table);
  return `${schema}.${name}__rebuild`;
}

function q(table: string): string {
  const { schema, name } = parseTableName(table);
  return `"${schema}"."${name}"`;
}

/**
 * Creates an empty shadow of each table (`LIKE ... INCLUDING ALL`: columns, defaults, constraints,
 * indexes, comments), dropping a leftover of an interrupted rebuild first. The shadow has no
 * triggers, so filling it publishes nothing.
 */
export async function createShadowTables(client: PgClient, tables: readonly string[]): Promise<void> {
  for (const t of tables) {
    await client.query(`DROP TABLE IF EXISTS ${q(shadowNameOf(t))}`);
    await client.query(`CREATE TABLE ${q(shadowNameOf(t))} (LIKE ${q(t)} INCLUDING ALL)`);
  }
}

/** Drops the shadows (after a failed or aborted rebuild). */
export async function dropShadowTables(client: PgClient, tables: readonly string[]): Promise<void> {
  for (const t of tables) await client.query(`DROP TABLE IF EXISTS ${q(shadowNameOf(t))}`);
}

/** What the swap restores on the new table, as SQL statements. */
interface Carried {
  readonly indexes: { name: string; shape: string }[];
  readonly statements: string[];
  readonly owner: string;
}

// "CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING ..." -> "[UNIQUE] USING ..."
function indexShape(def: string): string {
  return def.replace(/^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ /, '$1');
}

async function carriedOf(client: PgClient, table: string): Promise<Carried> {
  const t = q(table);
  const rel = await client.query<{ owner: string; rls: boolean; force_rls: boolean; reloptions: string[] | null; comment: string | null }>(
    `SELECT pg_get_userbyid(c.relowner) AS owner, c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls, c.reloptions,
            obj_description(c.oid, 'pg_class') AS comment
       FROM pg_class c WHERE c.oid = $1::regclass`, [t]);
  const r = rel.rows[0];
  if (!r) throw msError('NOT_FOUND', `table ${table} does not exist`);
  const statements: string[] = [];
  const triggers = await client.query<{ def: string; enabled: string; name: string }>(
    `SELECT pg_get_triggerdef(oid) AS def, tgenabled AS enabled, tgname AS name FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal ORDER BY tgname`, [t]);
  for (const tr of triggers.rows) {
    statements.push(tr.def);
    if (tr.enabled === 'D') statements.push(`ALTER TABLE ${t} DISABLE TRIGGER "${tr.name.replace(/"/g, '""')}"`);
    if (tr.enabled === 'R') statements.push(`ALTER TABLE ${t} ENABLE REPLICA TRIGGER "${tr.name.replace(/"/g, '""')}"`);
    if (tr.enabled === 'A') statements.push(`ALTER TABLE ${t} ENABLE ALWAYS TRIGGER "${tr.name.replace(/"/g, '""')}"`);
  }
  const grants = await client.query<{ stmt: string }>(
    `SELECT format('GRANT %s ON ${t} TO %s%s', a.privilege_type,
                   CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                   CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) AS stmt
       FROM pg_class c, aclexplode(c.relacl) a
      WHERE c.oid = $1::regclass AND a.grantee <> c.relowner
     UNION ALL
     SELECT format('GRANT %s (%I) ON ${t} TO %s%s', a.privilege_type, att.attname,
                   CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                   CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
       FROM pg_attribute att, aclexplode(att.attacl) a
      WHERE att.attrelid = $1::regclass AND att.attacl IS NOT NULL AND NOT att.attisdropped`, [t]);
  statements.push(...grants.rows.map((g) => g.stmt));
  if (r.rls) statements.push(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
  if (r.force_rls) statements.push(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
  const policies = await client.query<{ stmt: string }>(
    `SELECT format('CREATE POLICY %I ON ${t} AS %s FOR %s TO %s%s%s', p.policyname, p.permissive, p.cmd,
                   (SELECT string_agg(CASE WHEN role = 'public' THEN 'PUBLIC' ELSE quote_ident(role) END, ', ') FROM unnest(p.roles) AS role),
                   COALESCE(' USING (' || p.qual || ')', ''), COALESCE(' WITH CHECK (' || p.with_check || ')', '')) AS stmt
       FROM pg_policies p WHERE p.schemaname = $1 AND p.tablename = $2`, [parseTableName(table).schema, parseTableName(table).name]);
  statements.push(...policies.rows.map((p) => p.stmt));
  if (r.reloptions && r.reloptions.length > 0) statements.push(`ALTER TABLE ${t} SET (${r.reloptions.join(', ')})`);
  if (r.comment !== null) statements.push(`COMMENT ON TABLE ${t} IS '${r.comment.replace(/'/g, "''")}'`);
  const idx = await client.query<{ name: string; def: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass ORDER BY i.relname`, [t]);
  return { indexes: idx.rows.map((i) => ({ name: i.name, shape: indexShape(i.def) })), statements, owner: r.owner };
}

/**
 * Swaps each shadow in for its table, inside the caller's transaction: reads what `LIKE` does not
 * copy (triggers and their enabled state, table and column grants, owner, row-level security and
 * policies, storage options, the table comment), drops the table, renames the shadow, gives the
 * indexes their old names back and restores the rest. Dependent views make the drop fail: the
 * transaction rolls back and the live table stays.
 */
export async function swapShadowTables(client: PgClient, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    const shadow = shadowNameOf(table);
    await client.query(`LOCK TABLE ${q(table)} IN ACCESS EXCLUSIVE MODE`);
    const carried = await carriedOf(client, table);
    await client.query(`DROP TABLE ${q(table)}`);
    await client.query(`ALTER TABLE ${q(shadow)} RENAME TO "${parseTableName(table).name}"`);
    const mine = await client.query<{ name: string; def: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass ORDER BY i.relname`, [q(table)]);
    const unused = [...carried.indexes];
    for (const m of mine.rows) {
      const at = unused.findIndex((u) => u.shape === indexShape(m.def));
      if (at < 0) continue;
      const [orig] = unused.splice(at, 1);
      if (orig && orig.name !== m.name) await client.query(`ALTER INDEX "${parseTableName(table).schema}"."${m.name}" RENAME TO "${orig.name}"`);
    }
    const owner = await client.query<{ owner: string }>(`SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = $1::regclass`, [q(table)]);
    if (owner.rows[0]?.owner !== carried.owner) await client.query(`ALTER TABLE ${q(table)} OWNER TO "${carried.owner.replace(/"/g, '""')}"`);
    for (const s of carried.statements) await client.query(s);
  }
}
