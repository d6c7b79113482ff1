import { sql, type Kysely } from 'kysely';
import { compareVersions } from '../events/EventEnvelope.js';
import { msError } from '../errors/MisterSmithError.js';

/** `schema.table` of plain identifiers: a rebuild's shadow table, or `agents.state`. */
const TABLE = /^[a-z_][a-z0-9_]{0,62}\.[a-z_][a-z0-9_]{0,62}$/;
import type { Database } from './schema.js';
import type { VersionedValue } from '../state/VersionedValue.js';

/**
 * One row for the version-guarded upsert into `agents.state`: a {@link VersionedValue} with its
 * agent and key (`stored` goes to the `meta` column).
 */
export interface StateRow extends VersionedValue {
  readonly agentId: string;
  readonly stateKey: string;
}

/** How many rows were written and how many were skipped because PostgreSQL already had a newer version. */
export interface UpsertReport {
  readonly written: number;
  readonly skipped: number;
}

/**
 * The one way `agents.state` is written (projection, flush, rebuild): a single multi-row
 * `INSERT ... ON CONFLICT DO UPDATE ... WHERE (epoch, version) < EXCLUDED` statement, so stale,
 * duplicate or replayed writes never overwrite a newer row. Several rows for one key in a batch
 * collapse to the newest. Run it inside `frameworkTransaction` (or on `pg.framework()`) so triggers
 * skip it. `table` targets a table of the same shape, e.g. a rebuild's shadow of `agents.state`.
 */
export async function upsertStateRows(db: Kysely<Database>, rows: readonly StateRow[], options: { table?: string } = {}): Promise<UpsertReport> {
  const table = options.table ?? 'agents.state';
  if (!TABLE.test(table)) throw msError('INVALID_ARGUMENT', `invalid table name ${JSON.stringify(table)}`, { details: { table } });
  if (rows.length === 0) return { written: 0, skipped: 0 };
  const newest = new Map<string, StateRow>();
  for (const r of rows) {
    const k = `${r.agentId}\u0000${r.stateKey}`;
    const prev = newest.get(k);
    if (!prev || compareVersions(prev, r) < 0) newest.set(k, r);
  }
  const list = [...newest.values()];
  // One JSON parameter expanded by jsonb_to_recordset: cheaper to encode than parallel arrays.
  const payload = JSON.stringify(list.map((r) => ({
    a: r.agentId, k: r.stateKey, v: r.value === undefined ? null : r.value, m: r.stored === undefined ? null : r.stored,
    e: r.epoch, q: r.seq, t: r.tombstone ?? false, st: r.strategy,
  })));
  const result = await sql<{ n: number }>`
    INSERT INTO ${sql.raw(table)} AS s (agent_id, state_key, state_value, meta, version_epoch, version, tombstone, strategy, updated_at)
    SELECT a, k, v, m, e, q, t, st, now()
    FROM jsonb_to_recordset(${payload}::jsonb) AS u(a text, k text, v jsonb, m jsonb, e bigint, q bigint, t boolean, st text)
    ON CONFLICT (agent_id, state_key) DO UPDATE SET
      state_value = EXCLUDED.state_value, meta = EXCLUDED.meta, version_epoch = EXCLUDED.version_epoch, version = EXCLUDED.version,
      tombstone = EXCLUDED.tombstone, strategy = EXCLUDED.strategy, updated_at = now()
    WHERE (s.version_epoch, s.version) < (EXCLUDED.version_epoch, EXCLUDED.version)
  `.execute(db);
  const written = Number(result.numAffectedRows ?? 0n);
  return { written, skipped: rows.length - written };
}
