import { upsertStateRows, type StateRow } from '@mister-smith/core';
import type { TestEnv } from '@mister-smith/core/testing';
import pg from 'pg';
import type { BenchFigure, BenchOptions } from './BenchFigure.js';
import { batchesOf, benchRows } from './benchRows.js';
import { rawUpserts } from './rawUpserts.js';
import { runInterleaved } from './runInterleaved.js';

const RAW_NAMES = { values: 'raw multi-row VALUES upsert', unnest: 'raw unnest upsert', recordset: 'raw jsonb_to_recordset upsert' } as const;

/**
 * Rows/s of the store's write-behind flush (`upsertStateRows` as one statement on the framework pool, as `WriteBehind` runs it, one
 * statement per batch) next to the best raw batched upsert (multi-row
 * VALUES, unnest arrays or one JSON parameter; one autocommit statement per batch) and next to
 * the seed's one-statement-per-row flush, at the seed's threshold (50 rows) and at 500 rows.
 */
export async function benchStateFlush(env: TestEnv, opts: BenchOptions): Promise<BenchFigure[]> {
  const progress = opts.progress ?? (() => undefined);
  // Every batch must hold distinct keys (batchRows / passes >= 500).
  const passes = opts.quick ? 2 : 4;
  const batchRows = opts.quick ? 1_000 : 4_000;
  const perRowRows = opts.quick ? 200 : 1_000;
  const autocommitRows = opts.quick ? 50 : 300;
  const rounds = opts.quick ? 1 : 2;
  const epoch = Date.now();
  const client = new pg.Client({ connectionString: env.databaseUrl });
  await client.connect();
  const figures: BenchFigure[] = [];
  try {
    // Session-wide, once: the outbox trigger skips the raw rows as it skips the store's.
    await client.query(`SET mister_smith.origin = 'framework'`);
    for (const size of [50, 500]) {
      // Own keys per method, size and round: every window does the same inserts and updates.
      const window = (method: string, count: number, write: (batch: StateRow[]) => Promise<unknown>) => async (round: number) => {
        const rows = benchRows(`fl-${method}-${size}-${round}-a`, count, passes, epoch);
        const t0 = performance.now();
        for (const b of batchesOf(rows, size)) await write(b);
        return { ops: rows.length, seconds: (performance.now() - t0) / 1000 };
      };
      const r = await runInterleaved(rounds, {
        store: window('store', batchRows, (b) => upsertStateRows(env.pg.framework(), b)),
        values: window('values', batchRows, (b) => rawUpserts.values(client, b)),
        unnest: window('unnest', batchRows, (b) => rawUpserts.unnest(client, b)),
        recordset: window('recordset', batchRows, (b) => rawUpserts.recordset(client, b)),
        perRow: window('perrow', perRowRows, (b) => rawUpserts.perRow(client, b)),
        perRowAutocommit: window('autocommit', autocommitRows, (b) => rawUpserts.perRowAutocommit(client, b)),
      }, (line) => progress(`state: flush, batches of ${size}: ${line}`));
      const best = (['values', 'unnest', 'recordset'] as const).reduce((a, b) => (r[b].perSecond > r[a].perSecond ? b : a));
      const raws = (['values', 'unnest', 'recordset'] as const).map((m) => `${m} ${Math.round(r[m].perSecond)}`).join(', ');
      figures.push(
        { name: `flush rows/s (batch ${size}) vs best raw`, value: r.store.perSecond, unit: 'rows/s', baseline: { name: `${RAW_NAMES[best]}, autocommit`, value: r[best].perSecond }, goal: { ratioAtLeast: 0.8 },
          detail: `${rounds} interleaved rounds of ${batchRows} rows (${passes} passes over ${batchRows / passes} keys: 1 insert, ${passes - 1} updates); raw rows/s: ${raws}` },
        { name: `flush rows/s (batch ${size}) vs per-row`, value: r.store.perSecond, unit: 'rows/s', baseline: { name: 'one upsert statement per row, one transaction', value: r.perRow.perSecond }, goal: { ratioAtLeast: 20 },
          detail: `per-row: ${rounds} rounds of ${perRowRows} rows, ${size} statements per transaction (the seed's flushAgent)` },
      );
      if (size === 50) {
        figures.push({ name: `flush rows/s (batch ${size}) vs per-row autocommit`, value: r.store.perSecond, unit: 'rows/s', baseline: { name: 'one upsert statement per row, each its own transaction', value: r.perRowAutocommit.perSecond },
          detail: `per-row autocommit: ${rounds} rounds of ${autocommitRows} rows, one commit (WAL flush) per row` });
      }
    }
  } finally {
    await client.end();
  }
  return figures;
}
