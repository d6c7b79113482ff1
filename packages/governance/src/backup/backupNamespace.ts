import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { classifyNatsError, type DatabaseHandle, type NatsHandle, type Topology } from '@mister-smith/core';
import { sql } from 'kysely';
import { BACKUP_FORMAT, BACKUP_VERSION, type BackedUpStream, type BackupProgress, type BackupRecord, type EndRecord } from './backupFormat.js';
import { backupStreams, backupTables } from './backupSources.js';

/** What `backupNamespace` needs. */
export interface BackupDeps {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
}

/** Options of `backupNamespace`. */
export interface BackupOptions {
  /** Rows per page read from PostgreSQL, messages per pull from NATS (default 1000): the memory bound. */
  readonly pageSize?: number;
  readonly onProgress?: (p: BackupProgress) => void;
}

/** What a backup wrote. */
export interface BackupSummary {
  readonly rows: Record<string, number>;
  readonly messages: Record<string, number>;
  readonly streams: readonly BackedUpStream[];
}

/**
 * Writes a consistent cut of a namespace to `out` as NDJSON records (see `backupFormat`; pipe it
 * through gzip). The cut: every table is read in one REPEATABLE READ snapshot, and the streams'
 * heads are taken right after that snapshot starts, so every stream holds at least what the
 * tables (checkpoints, state versions) refer to; each stream is then copied up to its head. Memory
 * stays at one page of rows or messages; `out`'s back-pressure is honoured.
 *
 * @example
 * const gz = createGzip(); gz.pipe(createWriteStream('backup.ndjson.gz'));
 * await backupNamespace({ nats, pg, topology }, gz); gz.end();
 */
export async function backupNamespace(deps: BackupDeps, out: Writable, options: BackupOptions = {}): Promise<BackupSummary> {
  const { nats, pg, topology } = deps;
  const pageSize = options.pageSize ?? 1000;
  const write = async (r: BackupRecord) => {
    if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, 'drain');
  };
  const rows: Record<string, number> = {};
  const messages: Record<string, number> = {};
  let streams: BackedUpStream[] = [];

  await pg.db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    // The first statement fixes the snapshot; stream heads are read after it.
    const tables = await backupTables(trx);
    const migrations = (await sql<{ name: string }>`SELECT name FROM mister_smith.migrations ORDER BY name`.execute(trx)).rows.map((r) => r.name);
    streams = await streamHeads(nats, topology);
    await write({ kind: 'header', format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: new Date().toISOString(), namespace: topology.namespace ?? null, migrations, tables, streams });
    const total = await sql<{ n: number }>`SELECT ${sql.raw(tables.map((t) => `(SELECT count(*) FROM ${quote(t)})`).join(' + ') || '0')}::bigint AS n`.execute(trx);
    const totalRows = Number(total.rows[0]?.n ?? 0);
    let done = 0;
    for (const t of tables) {
      rows[t] = 0;
      let after: string | undefined;
      for (;;) {
        const page = await sql<{ c: string; v: Record<string, unknown> }>`
          SELECT ctid::text AS c, to_jsonb(x) AS v FROM ${sql.raw(quote(t))} x
          ${after === undefined ? sql`` : sql`WHERE ctid > ${after}::tid`} ORDER BY ctid LIMIT ${pageSize}`.execute(trx);
        for (const r of page.rows) await write({ kind: 'row', t, v: r.v });
        rows[t] += page.rows.length;
        done += page.rows.length;
        options.onProgress?.({ phase: 'tables', current: t, done, total: totalRows });
        if (page.rows.length < pageSize) break;
        after = page.rows[page.rows.length - 1]!.c;
      }
    }
  });

  const totalMsgs = streams.reduce((n, s) => n + (s.lastSeq >= s.firstSeq ? s.lastSeq - s.firstSeq + 1 : 0), 0);
  let done = 0;
  const sources = backupStreams(topology);
  for (const s of streams) {
    const prefix = sources.find((x) => x.key === s.key)!.subjectPrefix;
    messages[s.key] = 0;
    if (s.lastSeq < s.firstSeq || s.lastSeq === 0) continue;
    const consumer = await nats.js.consumers.get(s.name, { deliver_policy: 'by_start_sequence' as never, opt_start_seq: s.firstSeq }).catch((e: unknown) => { throw classifyNatsError(e, `reading ${s.name}`); });
    const iter = await consumer.consume({ max_messages: pageSize });
    try {
      for await (const m of iter) {
        const seq = m.info.streamSequence;
        if (seq > s.lastSeq) break;
        const h: Record<string, string[]> = {};
        if (m.headers) for (const [k, v] of m.headers) h[k] = v;
        await write({ kind: 'msg', s: s.key, seq, subj: m.subject.startsWith(prefix) ? m.subject.slice(prefix.length) : m.subject, ...(m.headers ? { h } : {}), d: Buffer.from(m.data).toString('base64') });
        messages[s.key]! += 1;
        done++;
        if (done % pageSize === 0) options.onProgress?.({ phase: 'streams', current: s.name, done, total: totalMsgs });
        if (seq >= s.lastSeq) break;
      }
    } finally {
      iter.stop();
    }
    options.onProgress?.({ phase: 'streams', current: s.name, done, total: totalMsgs });
  }
  const end: EndRecord = { kind: 'end', rows, messages };
  await write(end);
  return { rows, messages, streams };
}

async function streamHeads(nats: NatsHandle, topology: Topology): Promise<BackedUpStream[]> {
  const out: BackedUpStream[] = [];
  for (const s of backupStreams(topology)) {
    const info = await nats.jsm.streams.info(s.name).catch((e: unknown) => { throw classifyNatsError(e, `reading stream ${s.name}`); });
    out.push({ key: s.key, name: s.name, epoch: Date.parse(info.created), firstSeq: info.state.first_seq, lastSeq: info.state.last_seq });
  }
  return out;
}

/** `schema.table` quoted as an identifier pair. */
export function quote(table: string): string {
  return table.split('.').map((p) => `"${p.replace(/"/g, '""')}"`).join('.');
}
