import { JetStreamKvStore, type Topology } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { formatTable } from '../cli/formatTable.js';
import { openClients } from '../connection/openClients.js';
import { resolveBucket } from '../connection/resolveBucket.js';
import { streamInfoView } from './streams.js';

/** Options of `mister-smith kv ls`. */
export interface KvListOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A bucket of the topology, as `kv ls` without a bucket lists it. */
export interface KvBucketView {
  /** The alias to type (`agent-state`, `session`, ...). */
  readonly alias: string;
  readonly bucket: string;
  readonly exists: boolean;
  /** Stored entries (every kept revision, deletes included). */
  readonly entries: number;
  readonly bytes: number;
}

const ALIAS_OF: Readonly<Record<keyof Topology['buckets'], string>> = {
  session: 'session', agentState: 'agent-state', agentConfig: 'agent-config', queryCache: 'query-cache', agentLeases: 'agent-leases',
};

/**
 * `mister-smith kv ls [BUCKET] [FILTER]`: without a bucket, the namespace's buckets with their size;
 * with one, the live keys matching FILTER (default `>`: all), sorted.
 *
 * @example
 * const keys = await kvList('agent-state', 'c1.*');
 */
export async function kvList(bucketName: string | undefined, filter: string | undefined, options: KvListOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<string[] | KvBucketView[]> {
  await using c = await openClients(options.env ? { env: options.env } : {});
  if (bucketName === undefined) {
    const views: KvBucketView[] = [];
    for (const [k, b] of Object.entries(c.topology.buckets) as [keyof Topology['buckets'], { bucket: string }][]) {
      const v = await streamInfoView(c.nats, b.bucket, 'bucket', `KV_${b.bucket}`);
      views.push({ alias: ALIAS_OF[k], bucket: b.bucket, exists: v.exists, entries: v.messages, bytes: v.bytes });
    }
    output.result(views, () => formatTable(['BUCKET', 'ALIAS', 'ENTRIES', 'BYTES'], views.map((v) => [v.bucket, v.alias, v.exists ? String(v.entries) : 'missing', v.exists ? String(v.bytes) : '-'])));
    return views;
  }
  const { bucket } = resolveBucket(c.topology, bucketName);
  const kv = await JetStreamKvStore.open(c.nats, bucket);
  const keys = (await kv.keys(filter ?? '>')).sort();
  output.result(keys, () => (keys.length === 0 ? [`no keys in ${bucket}${filter ? ` matching ${filter}` : ''}`] : keys));
  return keys;
}
