import { frameworkTransaction, msError, type NatsHandle, type Topology } from '@mister-smith/core';
import type { Db, ProjectionTables } from '../pg/dbTypes.js';
import { toProjectionItem } from '../read/toProjectionItem.js';
import { describeError } from '../runner/describeError.js';
import type { Projection } from '../types/Projection.js';

/** A dead letter as listed: who gave up on which event, and why. */
export interface DeadLetterEntry {
  readonly id: number;
  readonly source: string;
  readonly stream: string | null;
  readonly epoch: number | null;
  readonly seq: number | null;
  readonly subject: string | null;
  readonly reason: string;
  readonly attempts: number;
  readonly createdAt: Date;
}

/** One dead letter with its payload (UTF-8 text, or `base64:...`). */
export interface DeadLetterDetail extends DeadLetterEntry {
  readonly payload: string | null;
}

/** What a replay did: the event applied (and the dead letter is gone), or it failed again with its new reason. */
export type ReplayOutcome = { readonly id: number; readonly outcome: 'applied' } | { readonly id: number; readonly outcome: 'failed'; readonly reason: string };

const COLUMNS = ['id', 'source', 'stream', 'epoch', 'seq', 'subject', 'reason', 'attempts', 'created_at'] as const;

function entry(r: { id: number; source: string; stream: string | null; epoch: number | null; seq: number | null; subject: string | null; reason: string; attempts: number; created_at: Date }): DeadLetterEntry {
  return { id: Number(r.id), source: r.source, stream: r.stream, epoch: r.epoch === null ? null : Number(r.epoch), seq: r.seq === null ? null : Number(r.seq), subject: r.subject, reason: r.reason, attempts: Number(r.attempts), createdAt: r.created_at };
}

/** Dead letters, oldest first, optionally of one source (`projection:<name>`, `task-processor`, ...). */
export async function listDeadLetters(db: Db, options: { readonly source?: string; readonly limit?: number } = {}): Promise<DeadLetterEntry[]> {
  let q = db.withTables<ProjectionTables>().selectFrom('mister_smith.dead_letters').select(COLUMNS).orderBy('id');
  if (options.source !== undefined) q = q.where('source', '=', options.source);
  return (await q.limit(options.limit ?? 100).execute()).map(entry);
}

/** One dead letter with its payload; NOT_FOUND when there is none with `id`. */
export async function showDeadLetter(db: Db, id: number): Promise<DeadLetterDetail> {
  const r = await db.withTables<ProjectionTables>().selectFrom('mister_smith.dead_letters').select([...COLUMNS, 'payload']).where('id', '=', id).executeTakeFirst();
  if (!r) throw msError('NOT_FOUND', `no dead letter ${id}`, { details: { id } });
  return { ...entry(r), payload: r.payload };
}

/** Removes a dead letter (an operator gave up on it); NOT_FOUND when there is none with `id`. */
export async function discardDeadLetter(db: Db, id: number): Promise<DeadLetterEntry> {
  const r = await db.withTables<ProjectionTables>().deleteFrom('mister_smith.dead_letters').where('id', '=', id).returning(COLUMNS).executeTakeFirst();
  if (!r) throw msError('NOT_FOUND', `no dead letter ${id}`, { details: { id } });
  return entry(r);
}

/**
 * Hands a projection's dead letter to its projection again, in one transaction with the removal of
 * the dead letter: it either applies (handlers are idempotent by version, so a late event never
 * regresses a row) or stays, with its new reason and one more attempt.
 */
export async function replayDeadLetter(deps: { readonly pg: { readonly db: Db }; readonly nats: NatsHandle; readonly topology: Topology }, projections: readonly Projection[], id: number): Promise<ReplayOutcome> {
  const letter = await showDeadLetter(deps.pg.db, id);
  const name = letter.source.startsWith('projection:') ? letter.source.slice('projection:'.length) : undefined;
  const projection = projections.find((p) => p.name === name);
  if (!projection) throw msError('INVALID_ARGUMENT', `dead letter ${id} comes from ${letter.source}, which is not a known projection (known: ${projections.map((p) => p.name).join(', ')})`, { details: { id, source: letter.source } });
  const payload = letter.payload ?? '';
  const raw = payload.startsWith('base64:') ? Buffer.from(payload.slice(7), 'base64') : new TextEncoder().encode(payload);
  const item = toProjectionItem({ epoch: letter.epoch ?? 0, seq: letter.seq ?? 0, subject: letter.subject ?? '', storedAt: letter.createdAt }, raw);
  try {
    if (item.kind === 'malformed' && !projection.acceptsMalformed) throw item.error;
    await frameworkTransaction(deps.pg.db, async (trx) => {
      await projection.apply([item], { trx, mode: 'live', table: (t) => t, nats: deps.nats, topology: deps.topology });
      await trx.withTables<ProjectionTables>().deleteFrom('mister_smith.dead_letters').where('id', '=', id).execute();
    });
    return { id, outcome: 'applied' };
  } catch (e) {
    const reason = describeError(e).slice(0, 4000);
    await deps.pg.db.withTables<ProjectionTables>().updateTable('mister_smith.dead_letters')
      .set((eb) => ({ reason, attempts: eb('attempts', '+', 1) })).where('id', '=', id).execute();
    return { id, outcome: 'failed', reason };
  }
}
