import { compareVersions, type StateRow } from '@mister-smith/core';
import type { ProjectionTransaction } from '../types/Projection.js';
import { unnestColumns } from './unnestColumns.js';
import { jsonParam, untyped } from './untypedTables.js';

const CHUNK = 20_000;

/**
 * The same version-guarded multi-row upsert as core's `upsertStateRows`, into a table of the same
 * shape under another name: a rebuild's shadow of `agents.state`. Several rows for one key collapse
 * to the newest; a row never overwrites a newer one.
 */
export async function upsertStateRowsInto(trx: ProjectionTransaction, table: string, rows: readonly StateRow[]): Promise<number> {
  const newest = new Map<string, StateRow>();
  for (const r of rows) {
    const k = `${r.agentId}\u0000${r.stateKey}`;
    const prev = newest.get(k);
    if (!prev || compareVersions(prev, r) < 0) newest.set(k, r);
  }
  const list = [...newest.values()];
  const db = untyped(trx);
  let written = 0;
  for (let i = 0; i < list.length; i += CHUNK) {
    const chunk = list.slice(i, i + CHUNK);
    const source = unnestColumns(trx, {
      agent_id: { cast: 'text', values: chunk.map((r) => r.agentId) },
      state_key: { cast: 'text', values: chunk.map((r) => r.stateKey) },
      state_value: { cast: 'jsonb', values: chunk.map((r) => jsonParam(r.value)) },
      meta: { cast: 'jsonb', values: chunk.map((r) => jsonParam(r.meta)) },
      version_epoch: { cast: 'bigint', values: chunk.map((r) => r.epoch) },
      version: { cast: 'bigint', values: chunk.map((r) => r.seq) },
      tombstone: { cast: 'boolean', values: chunk.map((r) => r.tombstone ?? false) },
      strategy: { cast: 'text', values: chunk.map((r) => r.strategy ?? 'lww') },
    });
    const r = await db.insertInto(table)
      .columns(['agent_id', 'state_key', 'state_value', 'meta', 'version_epoch', 'version', 'tombstone', 'strategy'])
      .expression(source)
      .onConflict((oc) => oc.columns(['agent_id', 'state_key']).doUpdateSet((eb) => ({
        state_value: eb.ref('excluded.state_value'), meta: eb.ref('excluded.meta'), version_epoch: eb.ref('excluded.version_epoch'),
        version: eb.ref('excluded.version'), tombstone: eb.ref('excluded.tombstone'), strategy: eb.ref('excluded.strategy'),
        updated_at: eb.fn('now', []),
      })).where((eb) => eb(eb.refTuple(`${table}.version_epoch`, `${table}.version`), '<', eb.refTuple('excluded.version_epoch', 'excluded.version'))))
      .executeTakeFirst();
    written += Number(r.numInsertedOrUpdatedRows ?? 0n);
  }
  return written;
}
