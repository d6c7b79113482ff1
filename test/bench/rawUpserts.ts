import type { StateRow } from '@mister-smith/core';
import type pg from 'pg';

const COLUMNS = 'agent_id, state_key, state_value, meta, version_epoch, version, tombstone, strategy, updated_at';
const ON_CONFLICT = `ON CONFLICT (agent_id, state_key) DO UPDATE SET
  state_value = EXCLUDED.state_value, meta = EXCLUDED.meta, version_epoch = EXCLUDED.version_epoch, version = EXCLUDED.version,
  tombstone = EXCLUDED.tombstone, strategy = EXCLUDED.strategy, updated_at = now()
  WHERE (s.version_epoch, s.version) < (EXCLUDED.version_epoch, EXCLUDED.version)`;

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
const paramsOf = (r: StateRow): unknown[] => [r.agentId, r.stateKey, json(r.value), json(r.stored), r.epoch, r.seq, r.tombstone ?? false, r.strategy ?? 'lww'];

/**
 * The raw upserts the store's flush is compared with, on a plain `pg.Client` whose session is
 * marked `mister_smith.origin = framework` once (so the outbox trigger skips the rows, as it does
 * for the store) and with named prepared statements. Same columns, same version guard.
 */
export const rawUpserts = {
  /** One multi-row `INSERT ... VALUES (...), (...) ON CONFLICT` per batch, autocommit. */
  async values(client: pg.Client, batch: readonly StateRow[]): Promise<void> {
    const tuples = batch.map((_, i) => {
      const b = i * 8;
      return `($${b + 1}, $${b + 2}, $${b + 3}::jsonb, $${b + 4}::jsonb, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}, now())`;
    });
    await client.query({ name: `bench_values_${batch.length}`, text: `INSERT INTO agents.state AS s (${COLUMNS}) VALUES ${tuples.join(', ')} ${ON_CONFLICT}`, values: batch.flatMap(paramsOf) });
  },

  /** One `INSERT ... SELECT FROM unnest($1::text[], ...) ON CONFLICT` per batch (the store's SQL shape), autocommit. */
  async unnest(client: pg.Client, batch: readonly StateRow[]): Promise<void> {
    await client.query({
      name: 'bench_unnest',
      text: `INSERT INTO agents.state AS s (${COLUMNS})
        SELECT a, k, v, m, e, q, t, st, now()
        FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[], $5::bigint[], $6::bigint[], $7::boolean[], $8::text[]) AS u(a, k, v, m, e, q, t, st)
        ${ON_CONFLICT}`,
      values: [batch.map((r) => r.agentId), batch.map((r) => r.stateKey), batch.map((r) => json(r.value)), batch.map((r) => json(r.stored)),
        batch.map((r) => r.epoch), batch.map((r) => r.seq), batch.map((r) => r.tombstone ?? false), batch.map((r) => r.strategy ?? 'lww')],
    });
  },

  /** One `INSERT ... SELECT FROM jsonb_to_recordset($1)` per batch: the rows as one JSON parameter, autocommit. */
  async recordset(client: pg.Client, batch: readonly StateRow[]): Promise<void> {
    await client.query({
      name: 'bench_recordset',
      text: `INSERT INTO agents.state AS s (${COLUMNS})
        SELECT a, k, v, m, e, q, t, st, now()
        FROM jsonb_to_recordset($1::jsonb) AS u(a text, k text, v jsonb, m jsonb, e bigint, q bigint, t boolean, st text)
        ${ON_CONFLICT}`,
      values: [JSON.stringify(batch.map((r) => ({ a: r.agentId, k: r.stateKey, v: r.value ?? null, m: r.stored ?? null, e: r.epoch, q: r.seq, t: r.tombstone ?? false, st: r.strategy ?? 'lww' })))],
    });
  },

  /** One single-row upsert per row, each its own autocommit transaction (one WAL flush per row). */
  async perRowAutocommit(client: pg.Client, batch: readonly StateRow[]): Promise<void> {
    for (const r of batch) {
      await client.query({ name: 'bench_row', text: `INSERT INTO agents.state AS s (${COLUMNS}) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $8, now()) ${ON_CONFLICT}`, values: paramsOf(r) });
    }
  },

  /** The seed's `flushAgent`: one single-row upsert statement per row, the batch in one transaction. */
  async perRow(client: pg.Client, batch: readonly StateRow[]): Promise<void> {
    await client.query('BEGIN');
    try {
      for (const r of batch) {
        await client.query({ name: 'bench_row', text: `INSERT INTO agents.state AS s (${COLUMNS}) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $8, now()) ${ON_CONFLICT}`, values: paramsOf(r) });
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK');
      throw e;
    }
  },
};
