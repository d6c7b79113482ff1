import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { classifyNatsError, frameworkTransaction, msError, type DatabaseHandle, type NatsHandle, type Topology } from '@mister-smith/core';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { sql } from 'kysely';
import { BACKUP_FORMAT, BACKUP_VERSION, type BackupProgress, type BackupRecord, type HeaderRecord, type MsgRecord } from './backupFormat.js';
import { quote } from './backupNamespace.js';
import { backupTables, streamOfKey } from './backupSources.js';

/** Messages published before their acks are awaited. */
const PUBLISH_WINDOW = 256;

/** Rows are inserted in batches of at most this many bytes of JSON (and `batchSize` rows). */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/** What `restoreNamespace` needs: an empty, provisioned and migrated namespace. */
export interface RestoreDeps {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
}

/** Options of `restoreNamespace`. */
export interface RestoreOptions {
  /** Rows per INSERT (default 500). */
  readonly batchSize?: number;
  readonly onProgress?: (p: BackupProgress) => void;
}

/** What a restore loaded. */
export interface RestoreSummary {
  readonly source: { readonly namespace: string | null; readonly createdAt: string };
  readonly rows: Record<string, number>;
  readonly messages: Record<string, number>;
}

/**
 * Loads a backup (NDJSON records, see `backupFormat`; gunzip first) into an empty namespace and
 * database, line by line. Rows go in through framework transactions (the outbox triggers stay
 * quiet); messages are published in order with their headers at their original sequence numbers
 * (a stream that started later than 1 is compacted to its first sequence, a gap inside is kept by
 * a deleted placeholder), so the checkpoints and versions in the tables still point at the right
 * events. Stream incarnations change: every epoch of the source streams in the tables is mapped to
 * the new stream's epoch, and stream names to the new namespace's. Refuses with NOT_EMPTY when the
 * target holds data, and with INVALID_ARGUMENT on a file that is not a backup or is truncated.
 */
export async function restoreNamespace(deps: RestoreDeps, input: Readable, options: RestoreOptions = {}): Promise<RestoreSummary> {
  const { nats, pg, topology } = deps;
  const batchSize = options.batchSize ?? 500;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let header: HeaderRecord | undefined;
  let ended = false;
  const rows: Record<string, number> = {};
  const messages: Record<string, number> = {};
  let pending: { t: string; v: Record<string, unknown>[]; bytes: number } | undefined;
  let tablesKnown = new Set<string>();
  const totalRows = { n: 0, done: 0 };
  const streamState = new Map<string, { name: string; prefix: string; next: number; afterPurge: boolean }>();
  const inflight: Promise<void>[] = [];
  let publishFailure: Error | undefined;

  const flushRows = async () => {
    if (!pending || pending.v.length === 0) return;
    const { t, v } = pending;
    pending = { t, v: [], bytes: 0 };
    if (!tablesKnown.has(t)) throw msError('INVALID_ARGUMENT', `the backup has rows of ${t}, which the target database lacks: apply that feature's migrations first`, { details: { table: t } });
    await frameworkTransaction(pg.db, (trx) => sql`INSERT INTO ${sql.raw(quote(t))} OVERRIDING SYSTEM VALUE SELECT * FROM jsonb_populate_recordset(NULL::${sql.raw(quote(t))}, ${JSON.stringify(v)}::jsonb)`.execute(trx));
    rows[t] = (rows[t] ?? 0) + v.length;
    totalRows.done += v.length;
    options.onProgress?.({ phase: 'tables', current: t, done: totalRows.done, total: totalRows.n });
  };

  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.length === 0) continue;
    let r: BackupRecord;
    try { r = JSON.parse(line) as BackupRecord; } catch (e) { throw msError('INVALID_ARGUMENT', `backup line ${lineNo} is not JSON (a corrupt or truncated file)`, { cause: e }); }
    if (!header) {
      if (r.kind !== 'header' || r.format !== BACKUP_FORMAT) throw msError('INVALID_ARGUMENT', 'not a Mister Smith backup (no header record)');
      if (r.version > BACKUP_VERSION) throw msError('INVALID_ARGUMENT', `backup format version ${r.version} is newer than this restore understands (${BACKUP_VERSION})`);
      header = r;
      tablesKnown = new Set(await backupTables(pg.db));
      await assertEmpty(deps, tablesKnown);
      continue;
    }
    if (r.kind === 'row') {
      if (inflight.length > 0) await drainPublishes();
      if (pending && pending.t !== r.t) await flushRows();
      if (!pending || pending.t !== r.t) pending = { t: r.t, v: [], bytes: 0 };
      pending.v.push(r.v);
      pending.bytes += line.length;
      if (pending.v.length >= batchSize || pending.bytes >= MAX_BATCH_BYTES) await flushRows();
    } else if (r.kind === 'msg') {
      await flushRows();
      await publish(r);
    } else if (r.kind === 'end') {
      await flushRows();
      await drainPublishes();
      ended = true;
      for (const [t, n] of Object.entries(r.rows)) if ((rows[t] ?? 0) !== n) throw msError('INVALID_ARGUMENT', `backup says ${n} rows of ${t}, restored ${rows[t] ?? 0}`);
      for (const [k, n] of Object.entries(r.messages)) if ((messages[k] ?? 0) !== n) throw msError('INVALID_ARGUMENT', `backup says ${n} messages of ${k}, restored ${messages[k] ?? 0}`);
    }
  }
  if (!header) throw msError('INVALID_ARGUMENT', 'the backup is empty');
  if (!ended) throw msError('INVALID_ARGUMENT', 'the backup is truncated (no end record); the target is partly restored: drop it and restore again');
  await remapEpochsAndNames(deps, header);
  await resetSequences(deps, Object.keys(rows));
  return { source: { namespace: header.namespace, createdAt: header.createdAt }, rows, messages };

  async function publish(m: MsgRecord): Promise<void> {
    let st = streamState.get(m.s);
    if (!st) {
      const target = streamOfKey(topology, m.s);
      if (!target) throw msError('INVALID_ARGUMENT', `the backup has messages of an unknown stream ${m.s}`);
      st = { name: target.name, prefix: target.subjectPrefix, next: 1, afterPurge: false };
      streamState.set(m.s, st);
      // The stream was empty: start its sequence where the source's started.
      if (m.seq > 1) {
        await nats.jsm.streams.purge(st.name, { seq: m.seq });
        st.afterPurge = true;
      }
      st.next = m.seq;
    }
    const subject = `${st.prefix}${m.subj}`;
    if (st.next < m.seq) {
      // A gap in the source (a deleted or expired message): keep it as a gap.
      await drainPublishes();
      while (st.next < m.seq) {
        const ack = await nats.js.publish(subject, new Uint8Array(0));
        await nats.jsm.streams.deleteMessage(st.name, ack.seq, false);
        st.next = ack.seq + 1;
      }
    }
    const h = natsHeaders();
    for (const [k, vs] of Object.entries(m.h ?? {})) for (const v of vs) h.append(k, v);
    const what = `restoring ${m.s}#${m.seq}`;
    // Pipelined: one connection keeps the order; each acknowledgement must carry the source's sequence.
    // Each publish also expects the sequence before it, except on a stream emptied by a purge up to
    // a sequence: there nats-server 2.9 checks the expectation against a count from 0, not last_seq.
    const seq = m.seq;
    const stream = st.name;
    inflight.push(nats.js.publish(subject, Buffer.from(m.d, 'base64'), { headers: h, ...(st.afterPurge ? {} : { expect: { lastSequence: seq - 1 } }) })
      .then((ack) => {
        if (ack.seq !== seq) publishFailure ??= msError('SEQUENCE_CONFLICT', `${what}: the stream stored it at sequence ${ack.seq}; is something else publishing into the target namespace?`, { details: { stream, expected: seq, got: ack.seq } });
      }, (e: unknown) => { publishFailure ??= classifyNatsError(e, what); }));
    st.next = m.seq + 1;
    messages[m.s] = (messages[m.s] ?? 0) + 1;
    if (inflight.length >= PUBLISH_WINDOW) await drainPublishes();
    if (messages[m.s]! % 1000 === 0) options.onProgress?.({ phase: 'streams', current: st.name, done: messages[m.s]!, total: 0 });
  }

  async function drainPublishes(): Promise<void> {
    await Promise.all(inflight.splice(0));
    if (publishFailure) throw publishFailure;
  }
}

async function assertEmpty(deps: RestoreDeps, tables: ReadonlySet<string>): Promise<void> {
  for (const t of tables) {
    const r = await sql<{ one: number }>`SELECT 1 AS one FROM ${sql.raw(quote(t))} LIMIT 1`.execute(deps.pg.db);
    if (r.rows.length > 0) throw msError('NOT_EMPTY', `restore needs an empty database: ${t} has rows`, { details: { table: t } });
  }
  for (const s of [...Object.values(deps.topology.streams).map((x) => x.name), ...Object.values(deps.topology.buckets).map((b) => `KV_${b.bucket}`), ...Object.values(deps.topology.objects).map((o) => `OBJ_${o.bucket}`)]) {
    const info = await deps.nats.jsm.streams.info(s).catch(() => undefined);
    if (info && info.state.messages > 0) throw msError('NOT_EMPTY', `restore needs an empty namespace: stream ${s} has ${info.state.messages} messages`, { details: { stream: s } });
  }
}

/** Source epochs -> the new streams' epochs, source stream names -> the new ones, in every table. */
async function remapEpochsAndNames(deps: RestoreDeps, header: HeaderRecord): Promise<void> {
  const { nats, pg, topology } = deps;
  const cols = await sql<{ t: string; c: string; type: string }>`
    SELECT table_schema || '.' || table_name AS t, column_name AS c, data_type AS type FROM information_schema.columns
    WHERE table_schema IN ('agents', 'tasks', 'mister_smith') AND (column_name IN ('epoch', 'version_epoch', 'stream'))`.execute(pg.db);
  await frameworkTransaction(pg.db, async (trx) => {
    for (const s of header.streams) {
      const target = streamOfKey(topology, s.key);
      if (!target) continue;
      const info = await nats.jsm.streams.info(target.name);
      const epoch = Date.parse(info.created);
      for (const col of cols.rows) {
        if (col.c === 'stream' && s.name !== target.name) {
          await sql`UPDATE ${sql.raw(quote(col.t))} SET stream = ${target.name} WHERE stream = ${s.name}`.execute(trx);
        } else if (col.c !== 'stream' && !s.key.startsWith('kv:') && !s.key.startsWith('obj:')) {
          await sql`UPDATE ${sql.raw(quote(col.t))} SET ${sql.ref(col.c)} = ${epoch} WHERE ${sql.ref(col.c)} = ${s.epoch}`.execute(trx);
        }
      }
    }
  });
}

/** Moves every serial sequence past the restored ids. */
async function resetSequences(deps: RestoreDeps, tables: readonly string[]): Promise<void> {
  for (const t of tables) {
    const seqs = await sql<{ c: string; s: string }>`
      SELECT a.attname AS c, pg_get_serial_sequence(${t}, a.attname) AS s FROM pg_attribute a
      WHERE a.attrelid = ${t}::regclass AND a.attnum > 0 AND NOT a.attisdropped AND pg_get_serial_sequence(${t}, a.attname) IS NOT NULL`.execute(deps.pg.db);
    for (const s of seqs.rows) {
      await sql`SELECT setval(${s.s}, GREATEST((SELECT max(${sql.ref(s.c)}) FROM ${sql.raw(quote(t))}), 1))`.execute(deps.pg.db);
    }
  }
}
