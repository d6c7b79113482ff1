import { compareVersions, type StateRow } from '@mister-smith/core';
import type { ProjectionTransaction } from '../types/Projection.js';
import { jsonParam, untyped } from './untypedTables.js';

const CHUNK = 4000;

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
    const r = await db.insertInto(table)
      .values(chunk.map((row) => ({
        agent_id: row.agentId, state_key: row.stateKey, state_value: jsonParam(row.value), meta: jsonParam(row.meta),
        version_epoch: row.epoch, version: row.seq, tombstone: row.tombstone ?? false, strategy: row.strategy ?? 'lww',
      })))
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
