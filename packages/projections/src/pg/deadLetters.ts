import type { Db, ProjectionTables } from './dbTypes.js';

/** One event or task given up on. */
export interface DeadLetter {
  /** Who gave up: `projection:<name>`, `task-processor`, `message-batch-processor`. */
  readonly source: string;
  readonly stream: string;
  readonly epoch: number;
  readonly seq: number;
  readonly subject: string;
  readonly reason: string;
  readonly payload: Uint8Array;
  readonly attempts: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Text for the payload column: UTF-8 when it is (and holds no NUL), base64 otherwise. */
export function payloadText(bytes: Uint8Array): string {
  try {
    const s = decoder.decode(bytes);
    if (!s.includes('\u0000')) return s;
  } catch {
    // not UTF-8: stored as base64 below
  }
  return `base64:${Buffer.from(bytes).toString('base64')}`;
}

/** Inserts dead letters; one already recorded at the same source and position is kept as it is. */
export async function recordDeadLetters(db: Db, letters: readonly DeadLetter[]): Promise<number> {
  if (letters.length === 0) return 0;
  const r = await db.withTables<ProjectionTables>().insertInto('mister_smith.dead_letters')
    .values(letters.map((l) => ({
      source: l.source, stream: l.stream, epoch: l.epoch, seq: l.seq, subject: noNul(l.subject),
      reason: noNul(l.reason).slice(0, 4000), payload: payloadText(l.payload), attempts: l.attempts,
    })))
    .onConflict((oc) => oc.columns(['source', 'stream', 'epoch', 'seq']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n);
}

// PostgreSQL text cannot hold NUL; a reason may quote the bad payload.
function noNul(s: string): string {
  return s.includes('\u0000') ? s.replace(/\u0000/g, '\\0') : s;
}
