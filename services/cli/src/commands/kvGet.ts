import { assertKvKey, JetStreamKvStore, msError } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { decodeKvValue } from '../cli/decodeKvValue.js';
import { openClients } from '../connection/openClients.js';
import { resolveBucket } from '../connection/resolveBucket.js';

/** Options of `mister-smith kv get`. */
export interface KvGetOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** One KV entry as the CLI shows it. */
export interface KvEntryView {
  readonly bucket: string;
  readonly key: string;
  readonly revision: number;
  readonly created: string;
  readonly operation: 'PUT' | 'DEL' | 'PURGE';
  readonly encoding: 'json' | 'text' | 'base64';
  readonly value: unknown;
}

/**
 * `mister-smith kv get BUCKET KEY`: the live value of one key (NOT_FOUND when it is missing,
 * deleted or expired). BUCKET is an alias (`agent-state`, `session`, ...) or a raw bucket name.
 *
 * @example
 * const entry = await kvGet('agent-state', 'c1.count');
 */
export async function kvGet(bucketName: string, key: string, options: KvGetOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<KvEntryView> {
  assertKvKey(key);
  await using c = await openClients(options.env ? { env: options.env } : {});
  const { bucket } = resolveBucket(c.topology, bucketName);
  const kv = await JetStreamKvStore.open(c.nats, bucket);
  const item = await kv.get(key);
  if (!item) throw msError('NOT_FOUND', `${bucket} has no value for ${key} (missing, deleted or expired)`, { details: { bucket, key } });
  const view: KvEntryView = { bucket, key, revision: item.revision, created: item.created.toISOString(), operation: item.operation, ...decodeKvValue(item.value) };
  output.result(view, () => (view.encoding === 'json' ? JSON.stringify(view.value, null, 2) : String(view.value)));
  return view;
}
