import { classifyNatsError, jsApiCode, JsCodes, type NatsHandle } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { formatTable } from '../cli/formatTable.js';
import { openClients } from '../connection/openClients.js';

/** Options of `mister-smith streams`. */
export interface StreamsOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** One stream or KV bucket of the topology. */
export interface StreamInfoView {
  readonly name: string;
  readonly kind: 'stream' | 'bucket';
  /** The underlying stream (`KV_<bucket>` for buckets). */
  readonly stream: string;
  /** False when it is not provisioned (run `mister-smith migrate`). */
  readonly exists: boolean;
  readonly messages: number;
  readonly bytes: number;
  /** First sequence held; null when the stream holds no message (JetStream then reports last + 1). */
  readonly firstSeq: number | null;
  readonly lastSeq: number;
  readonly consumers: number;
  readonly created?: string;
}

/** Reads the state of one stream; `exists: false` when there is none. */
export async function streamInfoView(nats: NatsHandle, name: string, kind: 'stream' | 'bucket', stream: string): Promise<StreamInfoView> {
  try {
    const info = await nats.jsm.streams.info(stream);
    return {
      name, kind, stream, exists: true, messages: info.state.messages, bytes: info.state.bytes,
      firstSeq: info.state.messages === 0 ? null : info.state.first_seq, lastSeq: info.state.last_seq, consumers: info.state.consumer_count, created: info.created,
    };
  } catch (e) {
    if (jsApiCode(e) === JsCodes.streamNotFound) return { name, kind, stream, exists: false, messages: 0, bytes: 0, firstSeq: null, lastSeq: 0, consumers: 0 };
    throw classifyNatsError(e, `reading stream ${stream}`);
  }
}

/**
 * `mister-smith streams`: messages, bytes, first/last sequence and consumers of every stream and
 * KV bucket of the configured namespace; buckets are named by their stream (`KV_<bucket>`), and an
 * empty stream shows no first sequence.
 *
 * @example
 * const missing = (await streams()).filter((s) => !s.exists);
 */
export async function streams(options: StreamsOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<StreamInfoView[]> {
  await using c = await openClients(options.env ? { env: options.env } : {});
  const views: StreamInfoView[] = [];
  for (const s of Object.values(c.topology.streams)) views.push(await streamInfoView(c.nats, s.name, 'stream', s.name));
  for (const b of Object.values(c.topology.buckets)) views.push(await streamInfoView(c.nats, b.bucket, 'bucket', `KV_${b.bucket}`));
  output.result(views, () => [
    // A bucket shows as its stream (KV_<bucket>), so AGENT_STATE the stream and AGENT_STATE the bucket never look alike.
    ...formatTable(['NAME', 'KIND', 'MESSAGES', 'BYTES', 'FIRST', 'LAST', 'CONSUMERS'], views.map((v) => v.exists
      ? [v.stream, v.kind === 'bucket' ? 'kv bucket' : 'stream', String(v.messages), String(v.bytes), v.firstSeq === null ? '-' : String(v.firstSeq), String(v.lastSeq), String(v.consumers)]
      : [v.stream, v.kind === 'bucket' ? 'kv bucket' : 'stream', 'missing', '-', '-', '-', '-'])),
    ...(views.some((v) => !v.exists) ? ['some are missing: run "mister-smith migrate" to provision them'] : []),
  ]);
  return views;
}
