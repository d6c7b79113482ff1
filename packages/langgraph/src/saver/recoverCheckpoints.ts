import type { DatabaseHandle, JetStreamEventLog, KvStore } from '@mister-smith/core';
import type { CheckpointSink, SinkItem } from '../pg/CheckpointSink.js';
import { advanceHead } from './headStore.js';
import { CHECKPOINT_PUT, WRITES_PUT, type CheckpointRecord, type WritesRecord } from './records.js';
import { threadKeys } from './threadKeys.js';

/** What a recovery pass did. */
export interface RecoveryReport {
  /** Checkpoint and write events read from the stream. */
  readonly scanned: number;
  /** Of those, the ones past their thread's PostgreSQL watermark, written now. */
  readonly replayed: number;
  /** KV heads moved forward to their thread namespace's last checkpoint event (a writer died between its append and its KV write). */
  readonly headsRepaired: number;
}

/**
 * Writes into PostgreSQL every event of the stream's window that is past its thread namespace's
 * watermark (the highest sequence already committed there): the acknowledged checkpoints of a
 * process that died before its group commit. Then moves every KV head that lags its thread
 * namespace's last checkpoint event up to it (compare-and-set, forward only: a head a live writer
 * moved on is kept), so `getTuple` never serves a head older than an acknowledged checkpoint.
 * Idempotent, so concurrent recoveries are harmless.
 */
export async function recoverCheckpoints(deps: { log: JetStreamEventLog; pg: DatabaseHandle; schema: string; sink: CheckpointSink; kv: KvStore }): Promise<RecoveryReport> {
  const items: SinkItem[] = [];
  for await (const it of deps.log.read({ filter: 'langgraph.>', from: 'start' })) {
    if (it.kind !== 'event') continue;
    const { event, seq } = it.record;
    if (event.type === CHECKPOINT_PUT) items.push({ kind: 'checkpoint', seq, record: event.data as CheckpointRecord });
    else if (event.type === WRITES_PUT) items.push({ kind: 'writes', seq, record: event.data as WritesRecord });
  }
  if (items.length === 0) return { scanned: 0, replayed: 0, headsRepaired: 0 };
  const threads = [...new Set(items.map((i) => i.record.threadId))];
  const { rows } = await deps.pg.withClient((c) => c.query<{ thread_id: string; checkpoint_ns: string; seq: number }>(
    `SELECT thread_id, checkpoint_ns, seq FROM "${deps.schema}".thread_watermarks WHERE thread_id = ANY($1::text[])`, [threads]));
  const marks = new Map(rows.map((r) => [JSON.stringify([r.thread_id, r.checkpoint_ns]), Number(r.seq)]));
  const pending = items.filter((i) => i.seq > (marks.get(JSON.stringify([i.record.threadId, i.record.ns])) ?? 0));
  for (let i = 0; i < pending.length; i += 500) await deps.sink.commit(pending.slice(i, i + 500));
  // The head is repaired after PostgreSQL has the events, so a reader falling back to it finds them.
  const lastOfThread = new Map<string, { seq: number; record: CheckpointRecord }>();
  for (const i of items) if (i.kind === 'checkpoint') lastOfThread.set(threadKeys(i.record.threadId, i.record.ns).id, { seq: i.seq, record: i.record });
  let headsRepaired = 0;
  const last = [...lastOfThread.values()];
  for (let i = 0; i < last.length; i += 64) {
    const done = await Promise.all(last.slice(i, i + 64).map(({ seq, record }) => advanceHead(deps.kv, threadKeys(record.threadId, record.ns), seq, record, { create: false })));
    headsRepaired += done.filter(Boolean).length;
  }
  return { scanned: items.length, replayed: pending.length, headsRepaired };
}
