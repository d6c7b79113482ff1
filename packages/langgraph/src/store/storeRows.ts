import type { DatabaseHandle } from '@mister-smith/core';
import { filterConditions } from './storeFilter.js';

/** One store item as PostgreSQL holds it (and as the KV cache mirrors it). */
export interface StoredItem {
  readonly namespace: string[];
  readonly key: string;
  readonly value: Record<string, unknown>;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number | null;
  readonly ttlMinutes: number | null;
  /** From one sequence for the whole store: later writes (and deletes) have higher versions. */
  readonly version: number;
}

interface Row { prefix: string; key: string; value: Record<string, unknown>; created_at: Date; updated_at: Date; expires_at: Date | null; ttl_minutes: number | null; version: number | string }

const COLS = 'prefix, key, value, created_at, updated_at, expires_at, ttl_minutes, version';

/** Namespace labels never contain `:` (upstream validation), so joining with it is injective. */
export const joinNamespace = (ns: readonly string[]): string => ns.join(':');

function itemOf(r: Row): StoredItem {
  return {
    namespace: r.prefix === '' ? [] : r.prefix.split(':'), key: r.key, value: r.value,
    createdAt: r.created_at.getTime(), updatedAt: r.updated_at.getTime(), expiresAt: r.expires_at ? r.expires_at.getTime() : null,
    ttlMinutes: r.ttl_minutes, version: Number(r.version),
  };
}

/** The store's PostgreSQL statements; `now` is the store's clock (expiry is decided by it, not the server's). */
export class StoreRows {
  readonly #pg: DatabaseHandle;
  readonly #s: string;

  constructor(pg: DatabaseHandle, schema: string) {
    this.#pg = pg;
    this.#s = `"${schema}"`;
  }

  async get(ns: readonly string[], key: string, now: number): Promise<StoredItem | null> {
    const { rows } = await this.#pg.withClient((c) => c.query<Row>(`SELECT ${COLS} FROM ${this.#s}.store WHERE prefix = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)`, [joinNamespace(ns), key, new Date(now)]));
    return rows[0] ? itemOf(rows[0]) : null;
  }

  async put(ns: readonly string[], key: string, value: Record<string, unknown>, ttlMinutes: number | null, now: number): Promise<StoredItem> {
    const expires = ttlMinutes === null ? null : new Date(now + ttlMinutes * 60_000);
    const { rows } = await this.#pg.withClient((c) => c.query<Row>(
      `INSERT INTO ${this.#s}.store (prefix, key, value, created_at, updated_at, expires_at, ttl_minutes, version)
       VALUES ($1, $2, $3::jsonb, $4, $4, $5, $6, nextval('${this.#s}.store_version'))
       ON CONFLICT (prefix, key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at,
         ttl_minutes = EXCLUDED.ttl_minutes, version = nextval('${this.#s}.store_version'),
         created_at = CASE WHEN ${this.#s}.store.expires_at IS NOT NULL AND ${this.#s}.store.expires_at <= EXCLUDED.updated_at THEN EXCLUDED.created_at ELSE ${this.#s}.store.created_at END
       RETURNING ${COLS}`,
      [joinNamespace(ns), key, JSON.stringify(value), new Date(now), expires, ttlMinutes]));
    return itemOf(rows[0]!);
  }

  /** Deletes an item; returns the version of the deletion (for the cache's tombstone). */
  async delete(ns: readonly string[], key: string): Promise<number> {
    const { rows } = await this.#pg.withClient((c) => c.query<{ version: string }>(
      `WITH d AS (DELETE FROM ${this.#s}.store WHERE prefix = $1 AND key = $2) SELECT nextval('${this.#s}.store_version') AS version`, [joinNamespace(ns), key]));
    return Number(rows[0]!.version);
  }

  /** Moves the expiry of items with a TTL to `now + ttl`; returns the refreshed items. */
  async refresh(items: readonly { namespace: readonly string[]; key: string }[], now: number): Promise<StoredItem[]> {
    if (items.length === 0) return [];
    const { rows } = await this.#pg.withClient((c) => c.query<Row>(
      `UPDATE ${this.#s}.store s SET expires_at = $3::timestamptz + make_interval(secs => s.ttl_minutes * 60)
         FROM unnest($1::text[], $2::text[]) AS w(prefix, key)
        WHERE s.prefix = w.prefix AND s.key = w.key AND s.ttl_minutes IS NOT NULL AND s.expires_at > $3
        RETURNING s.prefix, s.key, s.value, s.created_at, s.updated_at, s.expires_at, s.ttl_minutes, s.version`,
      [items.map((i) => joinNamespace(i.namespace)), items.map((i) => i.key), new Date(now)]));
    return rows.map(itemOf);
  }

  async search(prefix: readonly string[], filter: Readonly<Record<string, unknown>> | undefined, limit: number, offset: number, now: number): Promise<StoredItem[]> {
    const params: unknown[] = [new Date(now)];
    const where = ['(expires_at IS NULL OR expires_at > $1)'];
    if (prefix.length > 0) {
      params.push(joinNamespace(prefix));
      where.push(`(prefix = $${params.length} OR starts_with(prefix, $${params.length} || ':'))`);
    }
    if (filter) where.push(...filterConditions(filter, params));
    params.push(Math.max(0, Math.trunc(limit)), Math.max(0, Math.trunc(offset)));
    const { rows } = await this.#pg.withClient((c) => c.query<Row>(
      `SELECT ${COLS} FROM ${this.#s}.store WHERE ${where.join(' AND ')} ORDER BY updated_at DESC, prefix, key LIMIT $${params.length - 1} OFFSET $${params.length}`, params));
    return rows.map(itemOf);
  }

  async namespaces(now: number): Promise<string[][]> {
    const { rows } = await this.#pg.withClient((c) => c.query<{ prefix: string }>(
      `SELECT DISTINCT prefix FROM ${this.#s}.store WHERE expires_at IS NULL OR expires_at > $1`, [new Date(now)]));
    return rows.map((r) => (r.prefix === '' ? [] : r.prefix.split(':')));
  }

  /** Deletes expired items; returns how many. */
  async sweep(now: number): Promise<number> {
    const { rowCount } = await this.#pg.withClient((c) => c.query(`DELETE FROM ${this.#s}.store WHERE expires_at IS NOT NULL AND expires_at <= $1`, [new Date(now)]));
    return rowCount ?? 0;
  }
}
