import type { ChannelVersions, Checkpoint, CheckpointMetadata, SerializerProtocol } from '@langchain/langgraph-checkpoint';
import { toBase64, type BlobRec, type CheckpointRecord } from './records.js';

/** Inputs of `buildRecord`. */
export interface BuildRecordInput {
  readonly serde: SerializerProtocol;
  readonly threadId: string;
  readonly ns: string;
  readonly parentId: string | undefined;
  readonly checkpoint: Checkpoint;
  readonly metadata: CheckpointMetadata;
  readonly newVersions: ChannelVersions;
  /** The head this saver knows: blobs of unchanged channel versions are carried from it. */
  readonly previous: CheckpointRecord | undefined;
  /** Fetches stored blobs by (channel, version) for versions the previous head does not hold (forks). Keys are `channel\0version`. */
  readonly lookupBlobs: (wanted: readonly (readonly [string, string])[]) => Promise<Map<string, { t: string; d?: string }>>;
}

const decoder = new TextDecoder();

/**
 * Turns a `put` into the event data: the checkpoint without values, metadata as JSON (through the
 * serializer, as upstream stores it), a blob for every channel in `newVersions` (`empty` when the
 * checkpoint has no value for it) and the blobs of the other referenced versions, so the head is
 * complete without reading PostgreSQL.
 */
export async function buildRecord(input: BuildRecordInput): Promise<CheckpointRecord> {
  const { checkpoint, serde } = input;
  const { channel_values: values, ...rest } = checkpoint;
  const [, metaBytes] = await serde.dumpsTyped(input.metadata);
  const metadata = JSON.parse(decoder.decode(metaBytes).replace(/\0/g, '')) as Record<string, unknown>;
  const blobs: Record<string, BlobRec> = {};
  const newChannels = Object.keys(input.newVersions);
  await Promise.all(Object.entries(input.newVersions).map(async ([ch, ver]) => {
    if (ch in values) {
      const [t, bytes] = await serde.dumpsTyped((values as Record<string, unknown>)[ch]);
      blobs[ch] = { v: String(ver), t, d: toBase64(bytes) };
    } else {
      blobs[ch] = { v: String(ver), t: 'empty' };
    }
  }));
  const missing: [string, string][] = [];
  for (const [ch, ver] of Object.entries(checkpoint.channel_versions ?? {})) {
    const v = String(ver);
    if (blobs[ch]?.v === v) continue;
    const carried = input.previous?.blobs[ch];
    if (carried?.v === v) blobs[ch] = carried;
    else missing.push([ch, v]);
  }
  if (missing.length > 0) {
    const found = await input.lookupBlobs(missing);
    for (const [ch, v] of missing) {
      const b = found.get(`${ch}\u0000${v}`);
      if (b) blobs[ch] = { v, ...b };
    }
  }
  return {
    threadId: input.threadId, ns: input.ns, id: checkpoint.id,
    ...(input.parentId !== undefined ? { parentId: input.parentId } : {}),
    checkpoint: rest as Record<string, unknown>, metadata, blobs, newChannels,
  };
}
