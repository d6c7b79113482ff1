import { erasedAmong, msError, type DatabaseHandle } from '@mister-smith/core';
import type pg from 'pg';
import { pgFailure } from './pgFailure.js';

/** One row of `mister_smith.outbox`. */
export interface OutboxRow {
  readonly id: number;
  /** Logical subject, without the namespace. */
  readonly subject: string;
  readonly eventType: string;
  readonly payload: unknown;
  readonly createdAt: Date;
}

/** Outbox depth and the age of its oldest unpublished row. */
export interface OutboxStats {
  readonly depth: number;
  readonly oldestAgeMs: number;
}

/** Where a dead-lettered row was headed and why it was given up. */
export interface DeadLetterEntry {
  readonly row: OutboxRow;
  readonly stream: string | null;
  readonly reason: string;
}

/** The table holding payloads too large for one message, named in reference events. */
export const OUTBOX_PAYLOADS_TABLE = 'mister_smith.outbox_payloads';

interface RawRow { id: number; subject: string; event_type: string; payload: unknown; created_at: Date }

/** The bridge's SQL against `mister_smith.outbox`, `outbox_payloads` and `dead_letters`. */
export class OutboxStore {
  readonly #pg: DatabaseHandle;

  constructor(pg: DatabaseHandle) {
    this.#pg = pg;
  }

  /** The cluster's `system_identifier`, as text: it exceeds 2^53. */
  async systemIdentifier(): Promise<string> {
    const r = await this.#query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
    const id = r[0]?.id;
    if (!id) throw msError('INTERNAL', 'pg_control_system() returned no system_identifier');
    return id;
  }

  /**
   * The oldest unpublished rows, in id order, at most `limit` rows and about `maxBytes` of payload. Never "id > last seen": transactions commit out of id
   * order, and a high-water mark would skip a row that commits late.
   */
  async fetchUnpublished(limit: number, maxBytes: number = Number.MAX_SAFE_INTEGER): Promise<OutboxRow[]> {
    // Cut the batch once its payloads pass maxBytes (the first row always comes), so a run of
    // large values does not load hundreds of megabytes at once.
    const rows = await this.#query<RawRow>(
      `SELECT id, subject, event_type, payload, created_at FROM (
         SELECT o.*, sum(o.size) OVER (ORDER BY o.id) - o.size AS before
         FROM (SELECT id, subject, event_type, payload, created_at, octet_length(payload::text) AS size
               FROM mister_smith.outbox WHERE published_at IS NULL ORDER BY id LIMIT $1) o
       ) b WHERE before < $2 ORDER BY id`,
      [limit, maxBytes],
    );
    return rows.map((r) => ({ id: r.id, subject: r.subject, eventType: r.event_type, payload: r.payload, createdAt: r.created_at }));
  }

  /** The ids among `agentIds` that were erased: their rows are marked published without being published. */
  async erasedAmong(agentIds: Iterable<string>): Promise<Set<string>> {
    return erasedAmong(this.#pg.db, agentIds);
  }

  async markPublished(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#query('UPDATE mister_smith.outbox SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL', [ids]);
  }

  /** Records the rows in `mister_smith.dead_letters` and marks them published, in one transaction. */
  async deadLetter(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#withClient(async (c) => {
      await c.query('BEGIN');
      try {
        for (const { row, stream, reason } of entries) {
          const payload = JSON.stringify({ outbox_id: row.id, event_type: row.eventType, created_at: row.createdAt.toISOString(), payload: row.payload });
          await c.query(
            'INSERT INTO mister_smith.dead_letters (source, stream, subject, reason, payload) VALUES ($1, $2, $3, $4, $5)',
            ['bridge', stream, row.subject, reason, payload],
          );
        }
        await c.query('UPDATE mister_smith.outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [entries.map((e) => e.row.id)]);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /** Copies a row's payload to `outbox_payloads` (server-side, no round trip of the value); returns its size in bytes. */
  async storePayload(outboxId: number): Promise<number> {
    await this.#query(
      `INSERT INTO mister_smith.outbox_payloads (outbox_id, subject, event_type, payload, size)
       SELECT id, subject, event_type, payload, octet_length(payload::text) FROM mister_smith.outbox WHERE id = $1
       ON CONFLICT (outbox_id) DO NOTHING`,
      [outboxId],
    );
    const r = await this.#query<{ size: number }>('SELECT size FROM mister_smith.outbox_payloads WHERE outbox_id = $1', [outboxId]);
    const size = r[0]?.size;
    if (size === undefined) throw msError('NOT_FOUND', `outbox row ${outboxId} vanished before its payload was stored`, { details: { outboxId } });
    return size;
  }

  /** Deletes published rows older than `olderThanMs`, `batch` rows per statement, at most `maxRounds` statements. */
  async prunePublished(olderThanMs: number, batch: number, maxRounds = 10): Promise<number> {
    return this.#pruneLoop(
      `DELETE FROM mister_smith.outbox WHERE id IN (
         SELECT id FROM mister_smith.outbox
         WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1::float8 / 1000)
         ORDER BY published_at LIMIT $2)`,
      olderThanMs, batch, maxRounds,
    );
  }

  /** Deletes stored large payloads older than `olderThanMs`. */
  async prunePayloads(olderThanMs: number, batch: number, maxRounds = 10): Promise<number> {
    return this.#pruneLoop(
      `DELETE FROM mister_smith.outbox_payloads WHERE outbox_id IN (
         SELECT outbox_id FROM mister_smith.outbox_payloads
         WHERE created_at < now() - make_interval(secs => $1::float8 / 1000)
         ORDER BY created_at LIMIT $2)`,
      olderThanMs, batch, maxRounds,
    );
  }

  async stats(): Promise<OutboxStats> {
    const r = await this.#query<{ depth: number; age_ms: number }>(
      `SELECT count(*)::int AS depth,
              COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)) * 1000, 0)::float8 AS age_ms
       FROM mister_smith.outbox WHERE published_at IS NULL`,
    );
    return { depth: r[0]?.depth ?? 0, oldestAgeMs: Math.max(0, r[0]?.age_ms ?? 0) };
  }

  async #pruneLoop(text: string, olderThanMs: number, batch: number, maxRounds: number): Promise<number> {
    let total = 0;
    for (let round = 0; round < maxRounds; round++) {
      const n = await this.#withClient(async (c) => (await c.query(text, [olderThanMs, batch])).rowCount ?? 0);
      total += n;
      if (n < batch) break;
    }
    return total;
  }

  async #query<T>(text: string, values: unknown[] = []): Promise<T[]> {
    return this.#withClient((c) => c.query(text, values).then((r) => r.rows as T[]));
  }

  async #withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await this.#pg.withClient(fn);
    } catch (e) {
      throw pgFailure(e, 'outbox query failed');
    }
  }
}
