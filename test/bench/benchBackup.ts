import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { stateChanged } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { backupNamespace, restoreNamespace } from '@mister-smith/governance';
import { sql } from 'kysely';
import type { BenchFigure, BenchOptions } from './BenchFigure.js';

/** Peak resident memory above the level at start, sampled every 20 ms while `fn` runs. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakMb: Math.round((peak - base) / 1e5) / 10 };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Backup and restore (issue 16): a namespace with N events in AGENT_STATE and N archive rows is
 * backed up (gzip NDJSON to a temporary file) and restored into an empty namespace. Baselines in
 * the same run: a raw ordered read of the stream plus a raw paged `to_jsonb` read of the table
 * (backup), and raw pipelined publishes plus batched inserts of the same items (restore).
 */
export async function benchBackup(env: TestEnv, opts: BenchOptions): Promise<BenchFigure[]> {
  const n = opts.quick ? 5_000 : 100_000;
  const subjectOf = (i: number) => `${env.namespace}.agents.state.bk${i % 1000}`;
  const payload = (i: number) => new TextEncoder().encode(JSON.stringify(stateChanged(`bk${i % 1000}`, { key: 'k', op: 'put', value: { i, text: 'x'.repeat(150) }, stored: null, strategy: 'lww', writer: 'bench' })));
  opts.progress?.(`backup: filling ${n} events and ${n} archive rows`);
  for (let i = 0; i < n; i += 1000) await Promise.all(Array.from({ length: Math.min(1000, n - i) }, (_, j) => env.nats.js.publish(subjectOf(i + j), payload(i + j))));
  const stream = env.topology.streams.agentState.name;
  await sql`INSERT INTO mister_smith.event_archive (stream, epoch, seq, subject, event_id, event_type, agent_id, envelope, stored_at)
    SELECT ${stream}, 1, g, 'agents.state.bk' || (g % 1000), gen_random_uuid(), 'StateChanged', 'bk' || (g % 1000), jsonb_build_object('i', g, 'text', repeat('x', 150)), now()
    FROM generate_series(1, ${n}) g`.execute(env.pg.db);

  // Raw read baseline: the same stream and table, read and dropped.
  const rawStart = performance.now();
  const consumer = await env.nats.js.consumers.get(stream, { deliver_policy: 'by_start_sequence' as never, opt_start_seq: 1 });
  const iter = await consumer.consume({ max_messages: 1000 });
  let read = 0;
  for await (const m of iter) { read++; if (m.info.pending === 0) break; }
  iter.stop();
  for (let after = 0; ;) {
    const page = await sql<{ seq: number }>`SELECT seq, to_jsonb(a) FROM mister_smith.event_archive a WHERE seq > ${after} ORDER BY seq LIMIT 1000`.execute(env.pg.db);
    read += page.rows.length;
    if (page.rows.length < 1000) break;
    after = page.rows[page.rows.length - 1]!.seq;
  }
  const rawRead = read / ((performance.now() - rawStart) / 1000);

  // Backup to a gzip file, restore from it: memory is what the implementation holds, not the bench.
  const dir = await mkdtemp(join(tmpdir(), 'ms-bench-backup-'));
  try {
    const file = join(dir, 'bench.msb.gz');
    opts.progress?.('backup: backing up');
    const gz = createGzip();
    const written = pipeline(gz, createWriteStream(file));
    const b0 = performance.now();
    const backup = await withPeakRss(async () => { const r = await backupNamespace({ nats: env.nats, pg: env.pg, topology: env.topology }, gz); gz.end(); await written; return r; });
    const backupSeconds = (performance.now() - b0) / 1000;
    const gzipMb = Math.round((await stat(file)).size / 1e5) / 10;
    const items = Object.values(backup.result.rows).reduce((a, b) => a + b, 0) + Object.values(backup.result.messages).reduce((a, b) => a + b, 0);

    // Restore into an empty namespace; baseline: raw pipelined publishes + batched inserts of the same items into another.
    await using target = await startTestEnv();
    await using raw = await startTestEnv();
    const r0 = performance.now();
    for (let i = 0; i < n; i += 256) await Promise.all(Array.from({ length: Math.min(256, n - i) }, (_, j) => raw.nats.js.publish(`${raw.namespace}.agents.state.bk${(i + j) % 1000}`, payload(i + j))));
    let copied = 0;
    for (let after = 0; ;) {
      const page = await sql<{ seq: number; v: unknown }>`SELECT seq, to_jsonb(a) AS v FROM mister_smith.event_archive a WHERE seq > ${after} ORDER BY seq LIMIT 500`.execute(env.pg.db);
      if (page.rows.length === 0) break;
      await sql`INSERT INTO mister_smith.event_archive SELECT * FROM jsonb_populate_recordset(NULL::mister_smith.event_archive, ${JSON.stringify(page.rows.map((r) => r.v))}::jsonb)`.execute(raw.pg.db);
      copied += page.rows.length;
      after = page.rows[page.rows.length - 1]!.seq;
    }
    const rawWrite = (n + copied) / ((performance.now() - r0) / 1000);

    opts.progress?.('backup: restoring');
    const t0 = performance.now();
    const restore = await withPeakRss(() => restoreNamespace({ nats: target.nats, pg: target.pg, topology: target.topology }, createReadStream(file).pipe(createGunzip())));
    const restoreSeconds = (performance.now() - t0) / 1000;
    const detail = (peak: number) => `${n} events + ${n} archive rows (${gzipMb} MB gzip); peak RSS growth ${peak} MB (pages of 1,000 rows/messages, inserts of <= 500 rows / 8 MB, 256 publishes in flight)`;
    return [
    { name: 'backup.items_per_s', value: Math.round(items / backupSeconds), unit: 'items/s', baseline: { name: 'raw ordered read + paged SELECT', value: Math.round(rawRead) }, detail: detail(backup.peakMb) },
    { name: 'restore.items_per_s', value: Math.round(items / restoreSeconds), unit: 'items/s', baseline: { name: 'raw pipelined publish + batched INSERT', value: Math.round(rawWrite) }, detail: detail(restore.peakMb) },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
