import type { Db } from './dbTypes.js';

/** A projection's position: stream incarnation and last applied sequence. */
export interface Checkpoint {
  readonly epoch: number;
  readonly seq: number;
}

/** A checkpoint row with its recorded status. */
export interface CheckpointRecord extends Checkpoint {
  readonly stream: string;
  readonly status: string;
  readonly reason: string | null;
}

const TABLE = 'mister_smith.projection_checkpoints' as const;

/** Reads a projection's checkpoint, undefined when it never ran. */
export async function readCheckpoint(db: Db, projection: string): Promise<CheckpointRecord | undefined> {
  return db.selectFrom(TABLE).select(['stream', 'epoch', 'seq', 'status', 'reason']).where('projection', '=', projection).executeTakeFirst();
}

/** Creates the checkpoint row (epoch, 0) when missing and returns the current one. */
export async function ensureCheckpoint(db: Db, projection: string, stream: string, epoch: number): Promise<CheckpointRecord> {
  await db.insertInto(TABLE).values({ projection, stream, epoch, seq: 0 }).onConflict((oc) => oc.column('projection').doNothing()).execute();
  const row = await readCheckpoint(db, projection);
  if (!row) throw new Error(`checkpoint of ${projection} vanished right after it was created`);
  return row;
}

/**
 * Compare-and-set: moves the checkpoint from `from` to `to` only if it still is `from`. Returns
 * false when another writer moved it (the caller's transaction must roll back).
 */
export async function advanceCheckpoint(db: Db, projection: string, from: Checkpoint, to: Checkpoint): Promise<boolean> {
  const r = await db.updateTable(TABLE)
    .set((eb) => ({ epoch: to.epoch, seq: to.seq, status: 'running', reason: null, updated_at: eb.fn<Date>('now', []) }))
    .where('projection', '=', projection).where('epoch', '=', from.epoch).where('seq', '=', from.seq)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Records a projection's state (running, paused, rebuilding, failed) for status readers on other instances. */
export async function setCheckpointStatus(db: Db, projection: string, status: string, reason: string | null): Promise<void> {
  await db.updateTable(TABLE).set((eb) => ({ status, reason, updated_at: eb.fn<Date>('now', []) })).where('projection', '=', projection).execute();
}
