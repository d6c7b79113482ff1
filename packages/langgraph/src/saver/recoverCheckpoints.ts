import type { DatabaseHandle, JetStreamEventLog } from '@mister-smith/core';
import type { CheckpointSink, SinkItem } from '../pg/CheckpointSink.js';
import { CHECKPOINT_PUT, WRITES_PUT, type CheckpointRecord, type WritesRecord } from './records.js';

/** What a recovery pass did. */
export interface RecoveryReport {
  /** Checkpoint and write events read from the stream. */
  readonly scanned: number;
  /** Of those, the ones past their thread's PostgreSQL watermark, written now. */
  readonly replayed: number;
}

/**
 * Writes into PostgreSQL every event of the stream's window that is past its thread namespace's
 * watermark (the highest sequence already committed there): the acknowledged checkpoints of a
 * process that died before its group commit. Idempotent, so concurrent recoveries are harmless.
 */
export async function recoverCheckpoints(deps: { log: JetStreamEventLog; pg: DatabaseHandle; schema: string; sink: CheckpointSink }): Promise<RecoveryReport> {
  const items: SinkItem[] = [];
  for await (const it of deps.log.read({ filter: 'langgraph.>', from: 'start' })) {
    if (it.kind !== 'event') continue;
    const { event, seq } = it.record;
    if (event.type === CHECKPOINT_PUT) items.push({ kind: 'checkpoint', seq, record: event.data as CheckpointRecord });
    else if (event.type === WRITES_PUT) items.push({ kind: 'writes', seq, record: event.data as WritesRecord });
  }
  if (items.length === 0) return { scanned: 0, replayed: 0 };
  const threads = [...new Set(items.map((i) => i.record.threadId))];
  const { rows } = await deps.pg.withClient((c) => c.query<{ thread_id: string; checkpoint_ns: string; seq: number }>(
    `SELECT thread_id, checkpoint_ns, seq FROM "${deps.schema}".thread_watermarks WHERE thread_id = ANY($1::text[])`, [threads]));
  const marks = new Map(rows.map((r) => [JSON.stringify([r.thread_id, r.checkpoint_ns]), Number(r.seq)]));
  const pending = items.filter((i) => i.seq > (marks.get(JSON.stringify([i.record.threadId, i.record.ns])) ?? 0));
  for (let i = 0; i < pending.length; i += 500) await deps.sink.commit(pending.slice(i, i + 500));
  return { scanned: items.length, replayed: pending.length };
}
