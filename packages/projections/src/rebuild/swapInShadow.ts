import { sqlSession, swapShadowTables } from '../pg/shadowTables.js';
import type { Checkpoint } from '../pg/checkpoints.js';
import type { Db } from '../pg/dbTypes.js';
import { commitItems, type CommitTarget } from '../runner/commitBatch.js';

/**
 * Swaps the shadows in and moves the checkpoint from `from` (where the paused live projection
 * stands, undefined when it never ran) to `to`, in one transaction on the live runner's commit
 * path (`commitItems`: the same compare-and-set of the checkpoint). LOCKED when the checkpoint is
 * no longer `from`: another instance wrote, and the live tables stay as they are.
 */
export async function swapInShadow(conn: Db, target: CommitTarget, tables: readonly string[], from: Checkpoint | undefined, to: Checkpoint): Promise<void> {
  await commitItems(conn, { ...target, advancesCheckpoint: true }, from, to.epoch, [], {
    upto: to.seq,
    before: async (trx) => {
      const session = sqlSession(trx);
      await session.query(`SET LOCAL lock_timeout = '30s'`);
      await swapShadowTables(session, tables);
    },
  });
}

/** An in-place rebuild: moves the checkpoint from `from` back to `to` (the live runner re-reads the stream from there). */
export async function resetCheckpoint(conn: Db, target: CommitTarget, from: Checkpoint | undefined, to: Checkpoint): Promise<void> {
  await commitItems(conn, { ...target, advancesCheckpoint: true }, from, to.epoch, [], { upto: to.seq });
}
