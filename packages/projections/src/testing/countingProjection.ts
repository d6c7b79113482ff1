import type { DatabaseHandle } from '@mister-smith/core';
import type { Projection } from '../types/Projection.js';
import { untyped } from '../projections/untypedTables.js';

/** The table of `countingProjection` (created by `createCounterTable`). */
export const COUNTER_TABLE = 'public.projection_counter';

/** Creates the counter table of `countingProjection`. */
export async function createCounterTable(pg: DatabaseHandle): Promise<void> {
  await pg.withClient((c) => c.query(`CREATE TABLE IF NOT EXISTS public.projection_counter (name text PRIMARY KEY, n bigint NOT NULL DEFAULT 0, last_seq bigint NOT NULL DEFAULT 0)`));
}

/**
 * A deliberately non-idempotent test projection: adds the number of events it sees to a counter.
 * A replayed or lost batch shows as a wrong count, so it proves the checkpoint's exactly-once effect.
 * `delayMs` stretches each transaction so a crash can land inside one.
 */
export function countingProjection(options: { name?: string; subjects?: readonly string[]; delayMs?: number } = {}): Projection {
  const name = options.name ?? 'counter';
  return {
    name,
    stream: 'agentState',
    subjects: options.subjects ?? ['agents.state.>'],
    tables: [COUNTER_TABLE],
    async apply(items, ctx) {
      const db = untyped(ctx.trx);
      const table = ctx.table(COUNTER_TABLE);
      await db.insertInto(table).values({ name, n: 0 }).onConflict((oc) => oc.column('name').doNothing()).execute();
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      await db.updateTable(table).set((eb) => ({ n: eb(eb.ref('n'), '+', items.length), last_seq: items[items.length - 1]!.seq })).where('name', '=', name).execute();
    },
  };
}
