import type { Database, Topology } from '@mister-smith/core';
import { sql, type Kysely } from 'kysely';

/** Schemas a backup covers: the project's own and any other non-system schema but `public`. */
const SKIP_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast', 'public'];
/** Bookkeeping that a restore recreates itself (it runs the migrations). */
const SKIP_TABLES = new Set(['mister_smith.migrations', 'mister_smith.migrations_lock']);

/** Every base table a backup carries (`schema.table`), in a stable order. */
export async function backupTables(db: Kysely<Database>): Promise<string[]> {
  const r = await sql<{ t: string }>`
    SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
    WHERE table_type = 'BASE TABLE' AND table_schema <> ALL(${SKIP_SCHEMAS}::text[]) AND table_schema NOT LIKE 'pg_%'
      AND table_name NOT LIKE '%\\_\\_rebuild'
    ORDER BY 1`.execute(db);
  return r.rows.map((x) => x.t).filter((t) => !SKIP_TABLES.has(t));
}

/**
 * The streams a backup carries: the three event streams, the KV buckets that are not caches or
 * leases, and last the LARGE_VALUES Object Store (its head is read after the others', so it holds
 * every object their events and entries refer to).
 */
export function backupStreams(topology: Topology): { key: string; name: string; subjectPrefix: string }[] {
  const ns = topology.namespace ? `${topology.namespace}.` : '';
  const b = topology.buckets;
  return [
    ...(['agentState', 'taskExecution', 'agentMessages'] as const).map((k) => ({ key: k, name: topology.streams[k].name, subjectPrefix: ns })),
    ...(['agentState', 'session', 'agentConfig'] as const).map((k) => ({ key: `kv:${k}`, name: `KV_${b[k].bucket}`, subjectPrefix: `$KV.${b[k].bucket}.` })),
    ...(['largeValues'] as const).map((k) => ({ key: `obj:${k}`, name: `OBJ_${topology.objects[k].bucket}`, subjectPrefix: `$O.${topology.objects[k].bucket}.` })),
  ];
}

/** The stream of a backed-up key in another topology, and how its subjects are prefixed there. */
export function streamOfKey(topology: Topology, key: string): { name: string; subjectPrefix: string } | undefined {
  return backupStreams(topology).find((s) => s.key === key);
}
