import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** One message as `mister_smith.event_archive` keeps it (the envelope, or `{ $raw: base64 }` for undecodable bytes). */
export interface ArchivedMessage {
  readonly epoch: number;
  readonly seq: number;
  /** Logical subject (no namespace). */
  readonly subject: string;
  readonly eventType: string;
  readonly envelope: unknown;
  readonly storedAt: Date;
}

/** What to read from the archive: one stream incarnation, `fromSeq..toSeq` inclusive. */
export interface ReadArchiveOptions {
  readonly stream: string;
  readonly epoch: number;
  readonly fromSeq: number;
  readonly toSeq?: number;
  readonly pageSize?: number;
}

/**
 * Pages through the archive of one stream incarnation in sequence order (keyset pagination on the
 * primary key). Every message is archived, matching or not, so a caller can tell a hole (a sequence
 * the archive lacks) from a filtered-out event.
 */
export async function* readArchive(db: Kysely<Database>, options: ReadArchiveOptions): AsyncGenerator<ArchivedMessage[]> {
  const pageSize = options.pageSize ?? 500;
  let after = options.fromSeq - 1;
  for (;;) {
    let q = db.selectFrom('mister_smith.event_archive')
      .select(['seq', 'subject', 'event_type', 'envelope', 'stored_at'])
      .where('stream', '=', options.stream).where('epoch', '=', options.epoch).where('seq', '>', after);
    if (options.toSeq !== undefined) q = q.where('seq', '<=', options.toSeq);
    const rows = await q.orderBy('seq').limit(pageSize).execute();
    if (rows.length === 0) return;
    yield rows.map((r) => ({ epoch: options.epoch, seq: Number(r.seq), subject: r.subject, eventType: r.event_type, envelope: r.envelope, storedAt: r.stored_at }));
    after = Number(rows[rows.length - 1]!.seq);
    if (rows.length < pageSize) return;
  }
}

/** The message archived at `epoch`/`seq` of `stream`, or undefined (one primary-key lookup). */
export async function archivedMessageAt(db: Kysely<Database>, stream: string, epoch: number, seq: number): Promise<ArchivedMessage | undefined> {
  const r = await db.selectFrom('mister_smith.event_archive')
    .select(['subject', 'event_type', 'envelope', 'stored_at'])
    .where('stream', '=', stream).where('epoch', '=', epoch).where('seq', '=', seq).executeTakeFirst();
  return r ? { epoch, seq, subject: r.subject, eventType: r.event_type, envelope: r.envelope, storedAt: r.stored_at } : undefined;
}

/** The stream incarnations the archive holds for `stream` at or after `sinceEpoch`, oldest first. */
export async function archivedEpochs(db: Kysely<Database>, stream: string, sinceEpoch: number): Promise<number[]> {
  const rows = await db.selectFrom('mister_smith.event_archive').select('epoch').distinct()
    .where('stream', '=', stream).where('epoch', '>=', sinceEpoch).orderBy('epoch').execute();
  return rows.map((r) => Number(r.epoch));
}
