import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished, pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { migrateToLatest, provision } from '@mister-smith/core';
import { backupNamespace, restoreNamespace, type BackupProgress, type BackupSummary, type RestoreSummary } from '@mister-smith/governance';
import { formatProgressBar, formatProgressLine } from '../cli/formatProgress.js';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';

/** Options of `mister-smith backup` and `restore`. */
export interface BackupCommandOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith backup --out FILE`: a consistent cut of the namespace (tables, streams, KV) as
 * gzip-compressed NDJSON, streamed to FILE (written to FILE.partial, renamed when complete), with
 * a progress bar on a terminal.
 *
 * @example
 * await backup('fleet.msb.gz');
 */
export async function backup(file: string, options: BackupCommandOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<BackupSummary & { file: string }> {
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const partial = `${file}.partial`;
  const gz = createGzip();
  const done = pipeline(gz, createWriteStream(partial));
  let summary: BackupSummary;
  try {
    summary = await backupNamespace({ nats: c.nats, pg: c.requirePg(), topology: c.topology }, gz, { onProgress: progressPrinter('backup', output) });
    gz.end();
    await done;
  } catch (e) {
    gz.destroy();
    await done.catch(() => undefined);
    await rm(partial, { force: true });
    throw e;
  }
  await rename(partial, file);
  output.clearLive();
  const rows = Object.values(summary.rows).reduce((a, b) => a + b, 0);
  const messages = Object.values(summary.messages).reduce((a, b) => a + b, 0);
  output.result({ file, ...summary }, () => [`backup written to ${file}: ${rows} rows from ${Object.keys(summary.rows).length} tables, ${messages} messages from ${summary.streams.length} streams`]);
  return { file, ...summary };
}

/**
 * `mister-smith restore --in FILE`: provisions and migrates the (empty) target namespace and
 * database, then loads the backup into them, streaming, with a progress bar on a terminal.
 *
 * @example
 * await restore('fleet.msb.gz');
 */
export async function restore(file: string, options: BackupCommandOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<RestoreSummary> {
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const pg = c.requirePg();
  await provision(c.nats, c.topology);
  await migrateToLatest(pg.db);
  const input = createReadStream(file).pipe(createGunzip());
  const summary = await restoreNamespace({ nats: c.nats, pg, topology: c.topology }, input, { onProgress: progressPrinter('restore', output) });
  await finished(input).catch(() => undefined);
  output.clearLive();
  const rows = Object.values(summary.rows).reduce((a, b) => a + b, 0);
  const messages = Object.values(summary.messages).reduce((a, b) => a + b, 0);
  output.result(summary, () => [`restored ${file} (namespace ${summary.source.namespace ?? '(none)'}, taken ${summary.source.createdAt}): ${rows} rows, ${messages} messages`]);
  return summary;
}

function progressPrinter(label: string, output: Output): (p: BackupProgress) => void {
  const started = Date.now();
  let last = 0;
  return (p) => {
    const rate = Math.round((p.done * 1000) / Math.max(1, Date.now() - started));
    const figures = { label, phase: `${p.phase}: ${p.current}`, done: p.done, total: p.total, rate, etaMs: rate > 0 && p.total > p.done ? ((p.total - p.done) * 1000) / rate : undefined };
    if (output.interactive) { output.live(formatProgressBar(figures)); return; }
    if (output.json || Date.now() - last < 2000) return;
    last = Date.now();
    output.record({ type: 'progress', ...p }, formatProgressLine(figures));
  };
}
