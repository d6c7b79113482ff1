/** One serialized channel value: its version, serde type and bytes (base64; absent for `empty`). */
export interface BlobRec {
  readonly v: string;
  readonly t: string;
  readonly d?: string;
}

/** One pending write as stored: task, index (negative for the special channels), channel, value, task path. */
export interface WriteRec {
  readonly task: string;
  readonly idx: number;
  readonly ch: string;
  readonly t: string;
  readonly d: string;
  readonly path: string;
}

/**
 * The data of a `LangGraphCheckpointPut` event: the checkpoint without its values, its metadata
 * and the blobs of every channel version it references (so the event alone rebuilds the head),
 * with `newChannels` naming the blobs this put created.
 */
export interface CheckpointRecord {
  readonly threadId: string;
  readonly ns: string;
  readonly id: string;
  readonly parentId?: string;
  readonly checkpoint: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly blobs: Readonly<Record<string, BlobRec>>;
  readonly newChannels: readonly string[];
}

/** The data of a `LangGraphWritesPut` event: the writes of one task against one checkpoint. */
export interface WritesRecord {
  readonly threadId: string;
  readonly ns: string;
  readonly checkpointId: string;
  /** True when every write goes to a special channel (error, interrupt, resume...): those overwrite, like upstream. */
  readonly upsert: boolean;
  readonly writes: readonly WriteRec[];
}

/**
 * The hot KV entry of a thread namespace: the latest checkpoint (highest id), the sequence of the
 * last event on its subject (the fencing token) and the pending writes of that checkpoint
 * (`null` when unknown here: read them from PostgreSQL).
 */
export interface HeadEntry {
  readonly record: CheckpointRecord;
  readonly seq: number;
  readonly writes: readonly WriteRec[] | null;
}

/** Event types the saver appends. */
export const CHECKPOINT_PUT = 'LangGraphCheckpointPut';
export const WRITES_PUT = 'LangGraphWritesPut';

/** Merges writes into a list the way upstream keys them: regular writes keep the first value, upserts replace. */
export function mergeWrites(existing: readonly WriteRec[], incoming: readonly WriteRec[], upsert: boolean): WriteRec[] {
  const out = [...existing];
  for (const w of incoming) {
    const at = out.findIndex((e) => e.task === w.task && e.idx === w.idx);
    if (at < 0) out.push(w);
    else if (upsert) out[at] = w;
  }
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function fromBase64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}
