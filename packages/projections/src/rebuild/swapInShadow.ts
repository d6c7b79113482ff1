import { msError, type DatabaseHandle } from '@mister-smith/core';
import type { Checkpoint } from '../pg/checkpoints.js';
import { swapShadowTables, type PgClient } from '../pg/shadowTables.js';
import type { Projection } from '../types/Projection.js';
import type { LiveControl, RebuildDeps } from './rebuildProjection.js';

/**
 * Moves a projection's checkpoint from `from` to `to` in the caller's transaction (creating the row
 * when the projection never ran); LOCKED when it moved meanwhile.
 */
async function casCheckpoint(client: PgClient, projection: string, stream: string, from: Checkpoint | undefined, to: Checkpoint): Promise<void> {
  const r = from === undefined
    ? await client.query(`INSERT INTO mister_smith.projection_checkpoints (projection, stream, epoch, seq) VALUES ($1, $2, $3, $4) ON CONFLICT (projection) DO NOTHING`, [projection, stream, to.epoch, to.seq])
    : await client.query(`UPDATE mister_smith.projection_checkpoints SET epoch = $3, seq = $4, status = 'running', reason = NULL, updated_at = now() WHERE projection = $1 AND epoch = $5 AND seq = $6 AND stream = $2`,
      [projection, stream, to.epoch, to.seq, from.epoch, from.seq]);
  if (r.rowCount !== 1) {
    throw msError('LOCKED', `the checkpoint of ${projection} moved during the swap (another instance wrote): the rebuild was not swapped in`, { details: { projection } });
  }
}

async function currentCheckpoint(client: PgClient, projection: string): Promise<Checkpoint | undefined> {
  const r = await client.query<{ epoch: string | number; seq: string | number }>(`SELECT epoch, seq FROM mister_smith.projection_checkpoints WHERE projection = $1 FOR UPDATE`, [projection]);
  const row = r.rows[0];
  return row ? { epoch: Number(row.epoch), seq: Number(row.seq) } : undefined;
}

async function inTransaction<T>(pg: DatabaseHandle, fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = await pg.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('mister_smith.origin', 'framework', true)`);
    await client.query(`SET LOCAL lock_timeout = '30s'`);
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => { broken = rollbackError as Error; });
    throw e;
  } finally {
    client.release(broken);
  }
}

/**
 * Swaps the shadows in and sets the checkpoint to `to`, in one transaction. The live projection is
 * paused (or not running: the rebuild holds its lock), so the checkpoint read here is stable; the
 * compare-and-set still guards against a writer that should not exist.
 */
export async function swapInShadow(pg: DatabaseHandle, projection: Projection, stream: string, tables: readonly string[], to: Checkpoint): Promise<void> {
  await inTransaction(pg, async (client) => {
    const from = await currentCheckpoint(client, projection.name);
    await swapShadowTables(client, tables);
    await casCheckpoint(client, projection.name, stream, from, to);
  });
}

/** An in-place rebuild: pause, set the checkpoint back to `seq`, resume (the live runner re-reads the stream). */
export async function resetCheckpointInPlace(deps: RebuildDeps & { live?: LiveControl }, projection: Projection, stream: string, epoch: number, seq: number): Promise<number> {
  await deps.live?.pause();
  try {
    await inTransaction(deps.pg, async (client) => {
      const from = await currentCheckpoint(client, projection.name);
      await casCheckpoint(client, projection.name, stream, from, { epoch, seq });
    });
    return seq;
  } finally {
    deps.live?.resume();
  }
}
