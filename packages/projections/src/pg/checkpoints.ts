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
 * The checkpoint compare-and-set (the only one: the live runner's commits, a rebuild's swap and an
 * in-place reset all go through it): moves the checkpoint from `from` to `to` only if it still is
 * `from`, and marks the projection running. `from` undefined creates the row of a projection that
 * never ran (`stream` is then required). Returns false when another writer moved it (or created it):
 * the caller's transaction must roll back.
 */
export async function advanceCheckpoint(db: Db, projection: string, from: Checkpoint | undefined, to: Checkpoint, stream?: string): Promise<boolean> {
  if (from === undefined) {
    if (stream === undefined) throw new Error(`creating the checkpoint of ${projection} needs its stream`);
    const r = await db.insertInto(TABLE).values({ projection, stream, epoch: to.epoch, seq: to.seq })
      .onConflict((oc) => oc.column('projection').doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
  }
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
