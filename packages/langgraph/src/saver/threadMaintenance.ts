import { classifyNatsError, type DatabaseHandle, type JetStreamEventLog, type KvStore, type NatsHandle } from '@mister-smith/core';
import type pg from 'pg';
import type { LangGraphTopology } from '../nats/langGraphTopology.js';
import { threadHeadFilter, threadKeys, threadSubjectFilter } from './threadKeys.js';

/** What the maintenance operations need from a saver. */
export interface MaintenanceContext {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly schema: string;
  readonly log: JetStreamEventLog;
  readonly kv: KvStore;
  readonly topology: LangGraphTopology;
  /** Waits until the saver's acknowledged writes are in PostgreSQL. */
  drain(): Promise<void>;
  /** Drops the saver's remembered heads. */
  forget(): void;
}

async function inTransaction<T>(h: DatabaseHandle, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  return h.withClient(async (c) => {
    await c.query('BEGIN');
    try { const r = await fn(c); await c.query('COMMIT'); return r; } catch (e) { await c.query('ROLLBACK').catch(() => undefined); throw e; }
  });
}

async function purgeHeads(ctx: MaintenanceContext, filter: string): Promise<void> {
  for (const key of await ctx.kv.keys(filter)) await ctx.kv.purge(key);
}

/** Stream sequences at or below the current last one are never replayed into PostgreSQL for these threads. */
async function lastSeq(ctx: MaintenanceContext): Promise<number> {
  return (await ctx.log.bounds()).lastSeq;
}

/**
 * Deletes threads everywhere: their events (purged from the stream first, so no recovery can bring
 * them back), their KV heads, then their rows.
 */
export async function deleteThreads(ctx: MaintenanceContext, threadIds: readonly string[]): Promise<void> {
  if (threadIds.length === 0) return;
  await ctx.drain();
  for (const t of threadIds) {
    try {
      await ctx.nats.jsm.streams.purge(ctx.log.stream, { filter: ctx.log.subjectOf(threadSubjectFilter(t)) });
    } catch (e) {
      throw classifyNatsError(e, `purging the events of thread ${JSON.stringify(t)}`);
    }
    await purgeHeads(ctx, threadHeadFilter(t));
  }
  const s = `"${ctx.schema}"`;
  await inTransaction(ctx.pg, async (c) => {
    for (const table of ['checkpoint_writes', 'checkpoint_blobs', 'checkpoints', 'thread_watermarks', 'thread_retention']) {
      await c.query(`DELETE FROM ${s}.${table} WHERE thread_id = ANY($1::text[])`, [threadIds]);
    }
  });
  ctx.forget();
}

const DELETE_UNREFERENCED_BLOBS = (s: string) => `DELETE FROM ${s}.checkpoint_blobs b WHERE b.thread_id = ANY($1::text[]) AND NOT EXISTS (
  SELECT 1 FROM ${s}.checkpoints c, jsonb_each_text(c.checkpoint -> 'channel_versions') v
   WHERE c.thread_id = b.thread_id AND c.checkpoint_ns = b.checkpoint_ns AND v.key = b.channel AND v.value = b.version)`;

/** Keeps each namespace's latest checkpoint of each thread, with its writes and the blobs it references. */
export async function pruneKeepLatest(ctx: MaintenanceContext, threadIds: readonly string[]): Promise<void> {
  if (threadIds.length === 0) return;
  await ctx.drain();
  const seq = await lastSeq(ctx);
  const s = `"${ctx.schema}"`;
  await inTransaction(ctx.pg, async (c) => {
    const latest = `SELECT thread_id, checkpoint_ns, max(checkpoint_id) AS keep FROM ${s}.checkpoints WHERE thread_id = ANY($1::text[]) GROUP BY 1, 2`;
    await c.query(`DELETE FROM ${s}.checkpoint_writes w USING (${latest}) k WHERE w.thread_id = k.thread_id AND w.checkpoint_ns = k.checkpoint_ns AND w.checkpoint_id <> k.keep`, [threadIds]);
    await c.query(`DELETE FROM ${s}.checkpoints cp USING (${latest}) k WHERE cp.thread_id = k.thread_id AND cp.checkpoint_ns = k.checkpoint_ns AND cp.checkpoint_id <> k.keep`, [threadIds]);
    await c.query(DELETE_UNREFERENCED_BLOBS(s), [threadIds]);
    await c.query(`UPDATE ${s}.thread_watermarks SET seq = GREATEST(seq, $2) WHERE thread_id = ANY($1::text[])`, [threadIds, seq]);
  });
  // KV heads are the latest checkpoints: they stay.
}

/** Copies every checkpoint, blob and write of `from` to `to`; `to`'s heads are dropped so reads see the copy. */
export async function copyThread(ctx: MaintenanceContext, from: string, to: string): Promise<void> {
  await ctx.drain();
  const s = `"${ctx.schema}"`;
  await inTransaction(ctx.pg, async (c) => {
    await c.query(`INSERT INTO ${s}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
      SELECT $2, checkpoint_ns, channel, version, type, blob FROM ${s}.checkpoint_blobs WHERE thread_id = $1 ON CONFLICT DO NOTHING`, [from, to]);
    await c.query(`INSERT INTO ${s}.checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata, seq)
      SELECT $2, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata, 0 FROM ${s}.checkpoints WHERE thread_id = $1 ON CONFLICT DO NOTHING`, [from, to]);
    await c.query(`INSERT INTO ${s}.checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob, task_path, seq)
      SELECT $2, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob, task_path, 0 FROM ${s}.checkpoint_writes WHERE thread_id = $1 ON CONFLICT DO NOTHING`, [from, to]);
  });
  await purgeHeads(ctx, threadHeadFilter(to));
  ctx.forget();
}

/** Deletes the checkpoints whose metadata `run_id` is in `runIds`, with their writes; returns how many. */
export async function deleteForRuns(ctx: MaintenanceContext, runIds: readonly string[]): Promise<number> {
  if (runIds.length === 0) return 0;
  await ctx.drain();
  const seq = await lastSeq(ctx);
  const s = `"${ctx.schema}"`;
  const deleted = await inTransaction(ctx.pg, async (c) => {
    const { rows } = await c.query<{ thread_id: string; checkpoint_ns: string; checkpoint_id: string }>(
      `DELETE FROM ${s}.checkpoints WHERE metadata->>'run_id' = ANY($1::text[]) RETURNING thread_id, checkpoint_ns, checkpoint_id`, [runIds]);
    if (rows.length === 0) return rows;
    const cols = [rows.map((r) => r.thread_id), rows.map((r) => r.checkpoint_ns), rows.map((r) => r.checkpoint_id)];
    await c.query(`DELETE FROM ${s}.checkpoint_writes w USING unnest($1::text[], $2::text[], $3::text[]) d(t, n, i)
      WHERE w.thread_id = d.t AND w.checkpoint_ns = d.n AND w.checkpoint_id = d.i`, cols);
    const threads = [...new Set(rows.map((r) => r.thread_id))];
    await c.query(DELETE_UNREFERENCED_BLOBS(s), [threads]);
    await c.query(`UPDATE ${s}.thread_watermarks SET seq = GREATEST(seq, $2) WHERE thread_id = ANY($1::text[])`, [threads, seq]);
    return rows;
  });
  const heads = new Set(deleted.map((r) => threadKeys(r.thread_id, r.checkpoint_ns).headKey));
  for (const key of heads) await ctx.kv.purge(key);
  ctx.forget();
  return deleted.length;
}

/** Sets (or with `null` removes) a thread's own time-to-live, counted from now and from each later write. */
export async function setThreadTtl(h: DatabaseHandle, schema: string, threadId: string, ttlSeconds: number | null): Promise<void> {
  const s = `"${schema}"`;
  await h.withClient(async (c) => {
    if (ttlSeconds === null) await c.query(`DELETE FROM ${s}.thread_retention WHERE thread_id = $1`, [threadId]);
    else await c.query(`INSERT INTO ${s}.thread_retention (thread_id, ttl_seconds, expires_at) VALUES ($1, $2, now() + make_interval(secs => $2::int))
      ON CONFLICT (thread_id) DO UPDATE SET ttl_seconds = EXCLUDED.ttl_seconds, expires_at = EXCLUDED.expires_at`, [threadId, Math.max(0, Math.trunc(ttlSeconds))]);
  });
}

/** Deletes every thread whose time-to-live has passed; returns their ids. */
export async function sweepExpiredThreads(ctx: MaintenanceContext): Promise<string[]> {
  const { rows } = await ctx.pg.withClient((c) => c.query<{ thread_id: string }>(`SELECT thread_id FROM "${ctx.schema}".thread_retention WHERE expires_at <= now()`));
  const ids = rows.map((r) => r.thread_id);
  await deleteThreads(ctx, ids);
  return ids;
}
