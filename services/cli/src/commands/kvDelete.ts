import { JetStreamKvStore, msError } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';
import { refuseFrameworkBucket } from '../connection/refuseFrameworkBucket.js';
import { resolveBucket } from '../connection/resolveBucket.js';
import type { KvWriteResult } from './kvPut.js';

/** Options of `mister-smith kv del`. */
export interface KvDeleteOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith kv del BUCKET KEY`: deletes KEY (a delete marker; history keeps older revisions).
 * NOT_FOUND when it has no live value. Refuses the agent-state and agent-leases buckets.
 *
 * @example
 * await kvDelete('session', 'user-1');
 */
export async function kvDelete(bucketName: string, key: string, options: KvDeleteOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<KvWriteResult> {
  await using c = await openClients(options.env ? { env: options.env } : {});
  const { bucket } = resolveBucket(c.topology, bucketName);
  refuseFrameworkBucket(c.topology, bucket, 'delete');
  const kv = await JetStreamKvStore.open(c.nats, bucket);
  const current = await kv.get(key);
  if (!current) throw msError('NOT_FOUND', `${bucket} has no value for ${key} (missing, deleted or expired)`, { details: { bucket, key } });
  await kv.delete(key, { revision: current.revision });
  const result: KvWriteResult = { bucket, key, operation: 'DEL', revision: current.revision };
  output.result(result, () => `${bucket} ${key}: deleted (was revision ${current.revision})`);
  return result;
}
