import { JetStreamKvStore, msError } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { compactJson } from '../cli/formatTable.js';
import { decodeKvValue } from '../cli/decodeKvValue.js';
import { openClients } from '../connection/openClients.js';
import { resolveBucket } from '../connection/resolveBucket.js';
import { waitForShutdown } from '../runtime/waitForShutdown.js';
import type { KvEntryView } from './kvGet.js';

/** Options of `mister-smith kv watch`. */
export interface KvWatchOptions {
  /** Stop after this many entries (current values included). */
  readonly limit?: number;
  /** Only changes made after the watch started (no current values). */
  readonly updatesOnly?: boolean;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith kv watch BUCKET KEY`: the key's current value, then every change (puts, deletes,
 * purges) until Ctrl-C or the limit. KEY may use the NATS wildcards `*` and `>`.
 *
 * @example
 * await kvWatch('agent-state', 'c1.*', { limit: 10 });
 */
export async function kvWatch(bucketName: string, key: string, options: KvWatchOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<number> {
  if (!/^[A-Za-z0-9_\-/=.*>]+$/.test(key) || key.startsWith('.') || key.endsWith('.') || key.includes('..')) {
    throw msError('INVALID_KEY', `invalid KV key or pattern ${JSON.stringify(key)}: NATS keys allow A-Z a-z 0-9 - _ / = . and the wildcards * and >`, { details: { key } });
  }
  await using c = await openClients(options.env ? { env: options.env } : {});
  const { bucket } = resolveBucket(c.topology, bucketName);
  const kv = await JetStreamKvStore.open(c.nats, bucket);
  const watch = await kv.watch({ key, ...(options.updatesOnly ? { updatesOnly: true } : {}) });
  const shutdown = waitForShutdown();
  void shutdown.reason.then(() => watch.stop());
  let seen = 0;
  try {
    for await (const item of watch) {
      const view: KvEntryView = { bucket, key: item.key, revision: item.revision, created: item.created.toISOString(), operation: item.operation, ...decodeKvValue(item.value) };
      output.record({ type: 'entry', ...view }, `rev ${view.revision} ${view.created} ${view.operation} ${view.key}${view.operation === 'PUT' ? ` = ${view.encoding === 'json' ? compactJson(view.value, 200) : String(view.value)}` : ''}`);
      seen++;
      if (options.limit !== undefined && seen >= options.limit) break;
    }
  } finally {
    await watch.stop();
    shutdown.dispose();
  }
  return seen;
}
