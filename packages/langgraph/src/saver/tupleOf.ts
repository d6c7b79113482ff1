import { compareWritesSortKeys, writesSortKey, type Checkpoint, type CheckpointMetadata, type CheckpointPendingWrite, type CheckpointTuple, type SerializerProtocol } from '@langchain/langgraph-checkpoint';
import { configOf } from './configOf.js';
import { fromBase64, type CheckpointRecord, type WriteRec } from './records.js';

/** Sorts writes into `writesSortKey` order (task path, task id, index), the order live execution applies them in. */
export function sortWrites(writes: readonly WriteRec[]): WriteRec[] {
  return [...writes].sort((a, b) => compareWritesSortKeys(writesSortKey(a.path, a.task, a.idx), writesSortKey(b.path, b.task, b.idx)));
}

/** Deserializes pending writes (already sorted). */
export async function loadWrites(serde: SerializerProtocol, writes: readonly WriteRec[]): Promise<CheckpointPendingWrite[]> {
  return Promise.all(writes.map(async (w) => [w.task, w.ch, await serde.loadsTyped(w.t, fromBase64(w.d))] as CheckpointPendingWrite));
}

/** Loads metadata the way upstream does: through the serializer, so its revivers apply. */
export async function loadMetadata(serde: SerializerProtocol, metadata: Readonly<Record<string, unknown>>): Promise<CheckpointMetadata> {
  const [type, bytes] = await serde.dumpsTyped(metadata);
  return serde.loadsTyped(type, bytes) as Promise<CheckpointMetadata>;
}

/** Builds a checkpoint tuple from a record and its (sorted) pending writes. */
export async function tupleOf(serde: SerializerProtocol, r: CheckpointRecord, writes: readonly WriteRec[]): Promise<CheckpointTuple> {
  const values: Record<string, unknown> = {};
  const versions = (r.checkpoint as { channel_versions?: Record<string, unknown> }).channel_versions ?? {};
  await Promise.all(Object.entries(r.blobs).map(async ([ch, b]) => {
    // Only the versions the checkpoint references are its values (as upstream's join on channel_versions).
    if (b.t === 'empty' || b.d === undefined || !(ch in versions) || String(versions[ch]) !== b.v) return;
    values[ch] = await serde.loadsTyped(b.t, fromBase64(b.d));
  }));
  const cp = r.checkpoint as unknown as Checkpoint;
  const checkpoint: Checkpoint = { ...cp, channel_versions: cp.channel_versions ?? {}, versions_seen: cp.versions_seen ?? {}, channel_values: values };
  return {
    config: configOf(r.threadId, r.ns, r.id),
    checkpoint,
    metadata: await loadMetadata(serde, r.metadata),
    ...(r.parentId ? { parentConfig: configOf(r.threadId, r.ns, r.parentId) } : {}),
    pendingWrites: await loadWrites(serde, sortWrites(writes)),
  };
}
