import { namespacedSubject, validateEnvelope, MisterSmithError, msError } from '@mister-smith/core';
import type { Db } from '../pg/dbTypes.js';
import { toProjectionItem } from '../read/toProjectionItem.js';
import type { ProjectionItem } from '../types/ProjectionItem.js';

const encoder = new TextEncoder();
const ERASED = '$erased';
const PRUNED = '$pruned';

/** Per-epoch extent of a stream's archive. */
export interface ArchiveExtent {
  readonly epoch: number;
  readonly minSeq: number;
  readonly maxSeq: number;
  readonly count: number;
}

/** What the archive holds for `stream`, epoch by epoch (oldest first). */
export async function archiveExtents(db: Db, stream: string): Promise<ArchiveExtent[]> {
  const rows = await db.selectFrom('mister_smith.event_archive')
    .select((eb) => ['epoch', eb.fn.min<number>('seq').as('minSeq'), eb.fn.max<number>('seq').as('maxSeq'), eb.fn.countAll<string>().as('count')])
    .where('stream', '=', stream).groupBy('epoch').orderBy('epoch').execute();
  return rows.map((r) => ({ epoch: Number(r.epoch), minSeq: Number(r.minSeq), maxSeq: Number(r.maxSeq), count: Number(r.count) }));
}

/**
 * Pages through the archive of one stream incarnation, `fromSeq..toSeq` in sequence order
 * (keyset pagination on the primary key), yielding items exactly as the stream reader would. The
 * next page is read while the caller works on the current one (pipelined on another pooled
 * connection), so a rebuild's writes and its archive reads overlap.
 */
export async function* archiveItems(db: Db, stream: string, namespace: string | undefined, epoch: number, fromSeq: number, toSeq: number, pageSize: number): AsyncGenerator<ProjectionItem[]> {
  const page = (after: number) => {
    const p = db.selectFrom('mister_smith.event_archive')
      .select(['seq', 'subject', 'envelope', 'stored_at'])
      .select('event_type')
      .where('stream', '=', stream).where('epoch', '=', epoch).where('seq', '>', after).where('seq', '<=', toSeq)
      .orderBy('seq').limit(pageSize).execute();
    p.catch(() => undefined); // awaited below; a prefetch the caller never takes must not be an unhandled rejection
    return p;
  };
  if (fromSeq - 1 >= toSeq) return;
  let next = page(fromSeq - 1);
  for (;;) {
    const rows = await next;
    if (rows.length === 0) return;
    const after = Number(rows[rows.length - 1]!.seq);
    next = after < toSeq ? page(after) : Promise.resolve([]);
    // `$erased` placeholders (an erased agent's events) and `$pruned` ones (events retention removed,
    // each superseded by a later event of the same key) keep the archive contiguous and are not replayed.
    const items = rows.filter((r) => r.event_type !== ERASED && r.event_type !== PRUNED).map((r) => archiveItem(epoch, namespace, r));
    if (items.length > 0) yield items;
  }
}

function archiveItem(epoch: number, namespace: string | undefined, r: { seq: number; subject: string; envelope: unknown; stored_at: Date }): ProjectionItem {
  const position = { epoch, seq: Number(r.seq), subject: r.subject, storedAt: r.stored_at };
  const env = r.envelope as Record<string, unknown> | null;
  if (env && typeof env === 'object' && typeof env.$raw === 'string') {
    return toProjectionItem(position, Buffer.from(env.$raw, 'base64'));
  }
  const raw = encoder.encode(JSON.stringify(env));
  try {
    return { kind: 'event', ...position, raw, event: validateEnvelope(env) };
  } catch (e) {
    const error = MisterSmithError.is(e) ? e : msError('MALFORMED_EVENT', `archived event ${namespacedSubject(namespace, r.subject)}#${r.seq} is invalid`, { cause: e });
    return { kind: 'malformed', ...position, raw, error };
  }
}
