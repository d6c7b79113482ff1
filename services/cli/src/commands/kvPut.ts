import { JetStreamKvStore, msError } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { readValueFile } from '../cli/readValueFile.js';
import { openClients } from '../connection/openClients.js';
import { refuseFrameworkBucket } from '../connection/refuseFrameworkBucket.js';
import { resolveBucket } from '../connection/resolveBucket.js';

/** Options of `mister-smith kv put` and `kv del`. */
export interface KvPutOptions {
  /** Read the value from this file (`-`: stdin) instead of the argument. */
  readonly file?: string;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What `kv put` / `kv del` did. */
export interface KvWriteResult {
  readonly bucket: string;
  readonly key: string;
  readonly operation: 'PUT' | 'DEL';
  /** The revision of the write (put) or of the value deleted (del). */
  readonly revision: number;
}

/**
 * `mister-smith kv put BUCKET KEY [VALUE] [--file PATH|-]`: stores VALUE (text as given; JSON stays
 * JSON) under KEY and prints the revision. Refuses the agent-state and agent-leases buckets.
 *
 * @example
 * await kvPut('agent-config', 'c1.model', '"gpt"');
 */
export async function kvPut(bucketName: string, key: string, value: string | undefined, options: KvPutOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<KvWriteResult> {
  if ((value === undefined) === (options.file === undefined)) throw msError('INVALID_ARGUMENT', 'give the value either as an argument or with --file (PATH, or - for stdin), not both');
  const text = options.file !== undefined ? await readValueFile(options.file) : value!;
  await using c = await openClients(options.env ? { env: options.env } : {});
  const { bucket } = resolveBucket(c.topology, bucketName);
  refuseFrameworkBucket(c.topology, bucket, 'write');
  const kv = await JetStreamKvStore.open(c.nats, bucket);
  const revision = await kv.put(key, new TextEncoder().encode(text));
  const result: KvWriteResult = { bucket, key, operation: 'PUT', revision };
  output.result(result, () => `${bucket} ${key}: revision ${revision} (${text.length} characters)`);
  return result;
}
