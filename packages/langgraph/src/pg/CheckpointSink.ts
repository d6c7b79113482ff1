import type { DatabaseHandle } from '@mister-smith/core';
import { backoffMs, sleep } from '@mister-smith/core/util';
import { fromBase64, type CheckpointRecord, type WritesRecord } from '../saver/records.js';

/** One recorded event to write to PostgreSQL, with the stream sequence it was appended at. */
export type SinkItem =
  | { readonly kind: 'checkpoint'; readonly seq: number; readonly record: CheckpointRecord }
  | { readonly kind: 'writes'; readonly seq: number; readonly record: WritesRecord };

interface Pending { readonly item: SinkItem; readonly done: { resolve(): void; reject(e: unknown): void } }

const MAX_ATTEMPTS = 5;

/**
 * Writes checkpoint events to PostgreSQL by group commit: one transaction in flight, the next
 * batch forming behind it; every statement is idempotent and never regresses a row (upserts keep
 * the row of the higher stream sequence), so a replay of the stream is harmless.
 */
export class CheckpointSink {
  readonly #pg: DatabaseHandle;
  readonly #s: string;
  readonly #retentionSeconds: number | undefined;
  #queue: Pending[] = [];
  #running: Promise<void> | undefined;
  #tail: Promise<void> = Promise.resolve();

  constructor(pg: DatabaseHandle, schema: string, options: { defaultTtlSeconds?: number } = {}) {
    this.#pg = pg;
    this.#s = `"${schema}"`;
    this.#retentionSeconds = options.defaultTtlSeconds;
  }

  /** Queues an item; resolves once a transaction containing it committed. */
  write(item: SinkItem): Promise<void> {
    const p = new Promise<void>((resolve, reject) => { this.#queue.push({ item, done: { resolve, reject } }); });
    // Readers wait on the tail; a failure is reported to the writer, not to every later reader.
    this.#tail = p.catch(() => undefined);
    this.#kick();
    return p;
  }

  /** Resolves once everything queued so far is committed (or has failed). */
  drained(): Promise<void> {
    return this.#tail;
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = (async () => {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        try {
          await this.#commitWithRetry(batch.map((p) => p.item));
          for (const p of batch) p.done.resolve();
        } catch (e) {
          for (const p of batch) p.done.reject(e);
        }
      }
    })().finally(() => { this.#running = undefined; if (this.#queue.length > 0) this.#kick(); });
  }

  async #commitWithRetry(items: readonly SinkItem[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try { await this.commit(items); return; } catch (e) {
        if (attempt >= MAX_ATTEMPTS) throw e;
        await sleep(backoffMs(attempt + 1, { baseMs: 50, maxMs: 800 }));
      }
    }
  }

  /** Writes `items` in one transaction (also used by recovery). */
  async commit(items: readonly SinkItem[]): Promise<void> {
    if (items.length === 0) return;
    const blobs = new Map<string, [string, string, string, string, string, Uint8Array | null]>();
    const cps = new Map<string, { seq: number; r: CheckpointRecord }>();
    const writes = new Map<string, { upsert: boolean; row: [string, string, string, string, number, string, string, Uint8Array, string, number] }>();
    const marks = new Map<string, [string, string, number]>();
    const threads = new Set<string>();
    for (const it of items) {
      const r = it.record;
      threads.add(r.threadId);
      const mk = JSON.stringify([r.threadId, r.ns]);
      const m = marks.get(mk);
      if (!m || m[2] < it.seq) marks.set(mk, [r.threadId, r.ns, it.seq]);
      if (it.kind === 'checkpoint') {
        const cr = it.record;
        for (const ch of cr.newChannels) {
          const b = cr.blobs[ch];
          if (!b) continue;
          const key = JSON.stringify([cr.threadId, cr.ns, ch, b.v]);
          if (!blobs.has(key)) blobs.set(key, [cr.threadId, cr.ns, ch, b.v, b.t, b.d === undefined ? null : fromBase64(b.d)]);
        }
        const key = JSON.stringify([cr.threadId, cr.ns, cr.id]);
        const prev = cps.get(key);
        if (!prev || prev.seq <= it.seq) cps.set(key, { seq: it.seq, r: cr });
      } else {
        const wr = it.record;
        for (const w of wr.writes) {
          const key = JSON.stringify([wr.threadId, wr.ns, wr.checkpointId, w.task, w.idx]);
          if (writes.has(key) && !wr.upsert) continue;
          writes.set(key, { upsert: wr.upsert, row: [wr.threadId, wr.ns, wr.checkpointId, w.task, w.idx, w.ch, w.t, fromBase64(w.d), w.path, it.seq] });
        }
      }
    }
    const cpRows = [...cps.values()].map(({ seq, r }) => [r.threadId, r.ns, r.id, r.parentId ?? null, JSON.stringify(r.checkpoint), JSON.stringify(r.metadata), seq]);
    const writeRows = (upsert: boolean) => [...writes.values()].filter((w) => w.upsert === upsert).map((w) => w.row);
    // One statement (its own transaction): one round trip per group commit, whatever its size.
    const values = [
      ...columns([...blobs.values()], 6), ...columns(cpRows, 7), ...columns(writeRows(false), 10), ...columns(writeRows(true), 10),
      ...columns([...marks.values()], 3), [...threads], this.#retentionSeconds ?? null,
    ];
    await this.#pg.withClient((c) => c.query({ name: `langgraph-flush-${this.#s}`, text: this.#flushSql(), values }));
  }

  #flushSql(): string {
    const s = this.#s;
    const writes = (from: number) => `INSERT INTO ${s}.checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob, task_path, seq)
        SELECT * FROM unnest($${from}::text[], $${from + 1}::text[], $${from + 2}::text[], $${from + 3}::text[], $${from + 4}::int[], $${from + 5}::text[], $${from + 6}::text[], $${from + 7}::bytea[], $${from + 8}::text[], $${from + 9}::bigint[])`;
    return `WITH
      b AS (INSERT INTO ${s}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[])
        ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING),
      c AS (INSERT INTO ${s}.checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata, seq)
        SELECT * FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::jsonb[], $13::bigint[])
        ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE
          SET parent_checkpoint_id = EXCLUDED.parent_checkpoint_id, checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata, seq = EXCLUDED.seq
          WHERE ${s}.checkpoints.seq <= EXCLUDED.seq),
      wi AS (${writes(14)} ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO NOTHING),
      wu AS (${writes(24)} ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE
          SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob, task_path = EXCLUDED.task_path, seq = EXCLUDED.seq
          WHERE ${s}.checkpoint_writes.seq < EXCLUDED.seq),
      m AS (INSERT INTO ${s}.thread_watermarks (thread_id, checkpoint_ns, seq)
        SELECT * FROM unnest($34::text[], $35::text[], $36::bigint[])
        ON CONFLICT (thread_id, checkpoint_ns) DO UPDATE SET seq = GREATEST(${s}.thread_watermarks.seq, EXCLUDED.seq)),
      -- Retention: every write moves its thread's expiry forward; new threads get the default TTL, if any.
      r AS (UPDATE ${s}.thread_retention SET expires_at = now() + make_interval(secs => ttl_seconds) WHERE thread_id = ANY($37::text[])),
      d AS (INSERT INTO ${s}.thread_retention (thread_id, ttl_seconds, expires_at)
        SELECT t, $38::int, now() + make_interval(secs => $38::int) FROM unnest($37::text[]) AS t WHERE $38::int IS NOT NULL
        ON CONFLICT (thread_id) DO NOTHING)
      SELECT 1`;
  }
}

/** Transposes rows into one array per column (for `unnest`). */
function columns(rows: readonly (readonly unknown[])[], width: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: width }, () => []);
  for (const r of rows) for (let i = 0; i < width; i++) out[i]!.push(r[i]);
  return out;
}
