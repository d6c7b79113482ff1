import type { DatabaseHandle } from '@mister-smith/core';
import { TASKS } from '@langchain/langgraph-checkpoint';
import { toBase64, type BlobRec, type CheckpointRecord, type WriteRec } from '../saver/records.js';

/** A stored checkpoint with its blobs and pending writes, as read from PostgreSQL. */
export interface StoredCheckpoint {
  readonly record: CheckpointRecord;
  readonly writes: WriteRec[];
  /** Format < 4 only: the parent's TASKS writes, which upstream moves into this checkpoint's TASKS channel. */
  readonly pendingSends?: readonly { readonly t: string; readonly d: string }[];
}

/** Filters of a checkpoint query; undefined fields do not filter. */
export interface CheckpointQuery {
  readonly threadId?: string;
  readonly ns?: string;
  readonly checkpointId?: string;
  readonly before?: string;
  readonly filter?: Record<string, unknown>;
  readonly limit?: number;
}

interface Row {
  thread_id: string; checkpoint_ns: string; checkpoint_id: string; parent_checkpoint_id: string | null;
  checkpoint: Record<string, unknown> & { v?: number; channel_versions?: Record<string, string | number> };
  metadata: Record<string, unknown>;
  blobs: Buffer[][] | null;
  writes: Buffer[][] | null;
}

/** Reads checkpoints newest first (by checkpoint id), with the blobs of their channel versions and their writes. */
export async function queryCheckpoints(pg: DatabaseHandle, schema: string, q: CheckpointQuery): Promise<StoredCheckpoint[]> {
  const s = `"${schema}"`;
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (sqlText: string, v: unknown) => { args.push(v); where.push(sqlText.replace('?', `$${args.length}`)); };
  if (q.threadId !== undefined) add('cp.thread_id = ?', q.threadId);
  if (q.ns !== undefined) add('cp.checkpoint_ns = ?', q.ns);
  if (q.checkpointId !== undefined) add('cp.checkpoint_id = ?', q.checkpointId);
  if (q.before !== undefined) add('cp.checkpoint_id < ?', q.before);
  if (q.filter && Object.keys(q.filter).length > 0) add('cp.metadata @> ?::jsonb', JSON.stringify(q.filter));
  const limit = q.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.trunc(q.limit))}`;
  const text = `SELECT cp.thread_id, cp.checkpoint_ns, cp.checkpoint_id, cp.parent_checkpoint_id, cp.checkpoint, cp.metadata,
      (SELECT array_agg(array[convert_to(bl.channel, 'UTF8'), convert_to(bl.version, 'UTF8'), convert_to(bl.type, 'UTF8'), bl.blob])
         FROM jsonb_each_text(cp.checkpoint -> 'channel_versions') v
         JOIN ${s}.checkpoint_blobs bl ON bl.thread_id = cp.thread_id AND bl.checkpoint_ns = cp.checkpoint_ns AND bl.channel = v.key AND bl.version = v.value) AS blobs,
      (SELECT array_agg(array[convert_to(cw.task_id, 'UTF8'), convert_to(cw.idx::text, 'UTF8'), convert_to(cw.channel, 'UTF8'), convert_to(coalesce(cw.type, ''), 'UTF8'), cw.blob, convert_to(cw.task_path, 'UTF8')])
         FROM ${s}.checkpoint_writes cw
         WHERE cw.thread_id = cp.thread_id AND cw.checkpoint_ns = cp.checkpoint_ns AND cw.checkpoint_id = cp.checkpoint_id) AS writes
    FROM ${s}.checkpoints cp ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY cp.checkpoint_id DESC${limit}`;
  const rows = await pg.withClient(async (c) => (await c.query<Row>(text, args)).rows);
  const out = rows.map(toStored);
  await migratePendingSends(pg, s, out);
  return out;
}

function toStored(row: Row): StoredCheckpoint {
  const blobs: Record<string, BlobRec> = {};
  for (const [ch, v, t, d] of row.blobs ?? []) {
    blobs[ch!.toString('utf8')] = { v: v!.toString('utf8'), t: t!.toString('utf8'), ...(d ? { d: toBase64(d) } : {}) };
  }
  const writes: WriteRec[] = (row.writes ?? []).map(([task, idx, ch, t, d, path]) => ({
    task: task!.toString('utf8'), idx: Number(idx!.toString('utf8')), ch: ch!.toString('utf8'), t: t!.toString('utf8'), d: toBase64(d!), path: path!.toString('utf8'),
  }));
  return {
    record: {
      threadId: row.thread_id, ns: row.checkpoint_ns, id: row.checkpoint_id,
      ...(row.parent_checkpoint_id ? { parentId: row.parent_checkpoint_id } : {}),
      checkpoint: row.checkpoint, metadata: row.metadata, blobs, newChannels: [],
    },
    writes,
  };
}

/**
 * Checkpoints of format < 4 kept pending sends as writes to TASKS on their parent; upstream moves
 * them into the checkpoint's TASKS channel on read, and so does this.
 */
async function migratePendingSends(pg: DatabaseHandle, s: string, out: StoredCheckpoint[]): Promise<void> {
  const old = out.map((c, i) => ({ c, i })).filter(({ c }) => ((c.record.checkpoint as { v?: number }).v ?? 4) < 4 && c.record.parentId);
  if (old.length === 0) return;
  for (const { c, i } of old) {
    const { rows: sends } = await pg.withClient((cl) => cl.query<{ type: string; blob: Buffer }>(
      `SELECT type, blob FROM ${s}.checkpoint_writes WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = $3 AND channel = $4 ORDER BY task_id, idx`,
      [c.record.threadId, c.record.ns, c.record.parentId, TASKS]));
    if (sends.length > 0) out[i] = { ...c, pendingSends: sends.map((r) => ({ t: r.type, d: toBase64(r.blob) })) };
  }
}
