import { decodeEvent, jsApiCode, JsCodes, type JetStreamEventLog, type KvStore, type NatsHandle } from '@mister-smith/core';
import { LangGraphError } from '../errors/LangGraphError.js';
import type { CheckpointRecord, HeadEntry } from './records.js';
import type { ThreadKeys } from './threadKeys.js';

/** What a saver knows of a thread namespace: its head (if hot), the KV revision, and the fencing token. */
export interface Observed {
  readonly entry: HeadEntry | null;
  readonly revision: number | undefined;
  /** The last sequence on the thread namespace's checkpoint subject (0: none). */
  readonly seq: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeHead(entry: HeadEntry): Uint8Array {
  return encoder.encode(JSON.stringify(entry));
}

export function decodeHead(bytes: Uint8Array): HeadEntry {
  return JSON.parse(decoder.decode(bytes)) as HeadEntry;
}

/**
 * Reads the head of a thread namespace from KV; when KV has none (expired, deleted), the fencing
 * token comes from the stream. A hashed token naming another thread is an `ID_COLLISION`.
 */
export async function readHead(kv: KvStore, log: JetStreamEventLog, keys: ThreadKeys): Promise<Observed> {
  const item = await kv.get(keys.headKey);
  if (item && item.operation === 'PUT') {
    const entry = decodeHead(item.value);
    assertSameThread(entry.record, keys);
    return { entry, revision: item.revision, seq: entry.seq };
  }
  return { entry: null, revision: undefined, seq: await log.headOf(keys.checkpointSubject) };
}

/** Refuses a record of another thread under the same (hashed) token. */
export function assertSameThread(record: Pick<CheckpointRecord, 'threadId' | 'ns'>, keys: ThreadKeys): void {
  if (record.threadId !== keys.threadId || record.ns !== keys.ns) {
    throw new LangGraphError('ID_COLLISION', `thread ${JSON.stringify(keys.threadId)} shares its hashed key with thread ${JSON.stringify(record.threadId)}`, { details: { threadId: keys.threadId, other: record.threadId } });
  }
}

/**
 * Moves a KV head that lags the stream (a writer died between its append and its KV write) up to
 * the stream's last checkpoint event. Its pending writes are then unknown here (`null`): readers
 * take them from PostgreSQL.
 */
export async function repairHead(nats: NatsHandle, kv: KvStore, log: JetStreamEventLog, keys: ThreadKeys): Promise<void> {
  let msg;
  try {
    msg = await nats.jsm.streams.getMessage(log.stream, { last_by_subj: log.subjectOf(keys.checkpointSubject) });
  } catch (e) {
    if (jsApiCode(e) === JsCodes.messageNotFound) return;
    throw e;
  }
  if (!msg) return;
  await advanceHead(kv, keys, msg.seq, decodeEvent(msg.data).data as CheckpointRecord, { create: true });
}

/**
 * Compare-and-set of a thread namespace's KV head up to the checkpoint event `record` at stream
 * sequence `seq`, only ever forward: a head at that sequence or later (a live writer's) is left
 * alone. Without `create`, an absent head (expired, purged by maintenance) stays absent: readers
 * then take the thread from PostgreSQL. Returns whether KV was written.
 */
export async function advanceHead(kv: KvStore, keys: ThreadKeys, seq: number, record: CheckpointRecord, options: { create: boolean }): Promise<boolean> {
  const r = await kv.cas(keys.headKey, (cur) => {
    const head = cur && cur.operation === 'PUT' ? decodeHead(cur.value) : null;
    if (!head && !options.create) return undefined;
    if (head && head.seq >= seq) return undefined;
    const next: HeadEntry = head && head.record.id > record.id ? { ...head, seq } : { record: { ...record, newChannels: [] }, seq, writes: null };
    return encodeHead(next);
  });
  return r.written;
}
