import { createHash } from 'node:crypto';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { largeValuesBucketName, type ObjectStoreSpec } from '../config/topology.js';
import { MisterSmithError, msError } from '../errors/MisterSmithError.js';
import { newId } from '../events/createEvent.js';
import type { NatsHandle } from '../nats/connectNats.js';
import { classifyNatsError, JsCodes, jsApiCode } from '../nats/natsErrors.js';
import { compactStored, expandStored } from './compactStored.js';

/**
 * Where a value too large to travel inline is kept: an object of the namespace's LARGE_VALUES
 * Object Store bucket. A `StateChanged` event and a KV entry carry this instead of `value` and
 * `stored`; `digest` is the object's `SHA-256=<base64url>` (nats.js checks it on every read).
 */
export interface LargeValueRef {
  /** Object name: `<agentId>/<stateKey>/<uuid v7>`. */
  readonly object: string;
  /** Bytes of the object: the JSON of `{ value, stored }`. */
  readonly size: number;
  readonly digest: string;
}

/** Size limits of state values (bytes of the JSON of the value and its stored form). */
export interface LargeValueLimits {
  /** Larger values go to the Object Store by reference (default 256 KiB). */
  readonly inlineBytes: number;
  /** Hard cap: larger values are refused with PAYLOAD_TOO_LARGE before anything is written (default 64 MiB). */
  readonly maxBytes: number;
}

export const DEFAULT_LARGE_VALUE_LIMITS: LargeValueLimits = { inlineBytes: 256 * 1024, maxBytes: 64 * 1024 * 1024 };

/** Validates user limits over the defaults; INVALID_CONFIG when they make no sense. */
export function largeValueLimits(partial: Partial<LargeValueLimits> = {}): LargeValueLimits {
  const l = { ...DEFAULT_LARGE_VALUE_LIMITS, ...partial };
  if (!Number.isSafeInteger(l.inlineBytes) || l.inlineBytes < 1024) throw msError('INVALID_CONFIG', `largeValues.inlineBytes must be an integer >= 1024, got ${l.inlineBytes}`);
  if (!Number.isSafeInteger(l.maxBytes) || l.maxBytes < l.inlineBytes) throw msError('INVALID_CONFIG', `largeValues.maxBytes must be an integer >= inlineBytes (${l.inlineBytes}), got ${l.maxBytes}`);
  // An event or KV entry carries up to inlineBytes of value plus its envelope: keep it under 1 MiB.
  if (l.inlineBytes > 900 * 1024) throw msError('INVALID_CONFIG', `largeValues.inlineBytes must leave room for the event envelope under AGENT_STATE's 1 MiB max_msg_size (at most 921600), got ${l.inlineBytes}`);
  return l;
}

/** Stores and fetches large values; `JetStreamLargeValues` over the Object Store, `InMemoryLargeValues` in unit tests. */
export interface LargeValueStore {
  /** Stores the bytes under `name`; resolves with the reference once the object is complete. */
  put(name: string, bytes: Uint8Array): Promise<LargeValueRef>;
  /** The object's bytes; NOT_FOUND when it is gone (expired, erased). */
  get(ref: LargeValueRef): Promise<Uint8Array>;
  /** Deletes every object of an agent (erasure); returns how many. */
  deleteAgent(agentId: string): Promise<number>;
  /** Every object: name and size (backup). */
  list(): Promise<{ name: string; size: number; digest: string }[]>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The prefix of an agent's object names. */
export function agentObjectPrefix(agentId: string): string {
  return `${agentId}/`;
}

/** A reference as it arrives from the wire; anything else is MALFORMED_EVENT / CORRUPT_ENTRY upstream. */
export function isLargeValueRef(x: unknown): x is LargeValueRef {
  const r = x as Partial<LargeValueRef> | null;
  return !!r && typeof r === 'object' && typeof r.object === 'string' && typeof r.size === 'number' && typeof r.digest === 'string';
}

/** Whether a `StateChanged` data or a state entry still carries a reference instead of its value. */
export function isUnresolved(x: { readonly ref?: unknown; readonly value?: unknown }): boolean {
  return x.ref !== undefined && !('value' in x);
}

/** What a value needs to travel: inline (the event and KV carry it) or by reference (already stored). */
export type Externalized = { readonly ref?: undefined } | { readonly ref: LargeValueRef };

/**
 * Measures a value (the JSON of it and its stored form) against the limits: over `maxBytes` it is
 * PAYLOAD_TOO_LARGE (size and cap in the details) before anything is written; over `inlineBytes` it
 * is stored as an object of the agent and the reference returned; otherwise it travels inline.
 * Without a store, a value over `inlineBytes` travels inline (and the stream refuses what passes
 * its message limit).
 */
export async function externalizeValue(values: LargeValueStore | undefined, limits: LargeValueLimits, agentId: string, key: string, value: unknown, stored: unknown): Promise<Externalized> {
  const json = oversizedJson(limits, agentId, key, value, stored);
  if (json === undefined || !values) return {};
  return { ref: await storeLargeValue(values, agentId, key, json) };
}

/**
 * The JSON of `{ value, stored }` when it is over `inlineBytes` (what the object holds), undefined
 * when the value travels inline; PAYLOAD_TOO_LARGE (size and cap in the details) over `maxBytes`.
 */
export function oversizedJson(limits: LargeValueLimits, agentId: string, key: string, value: unknown, stored: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  // Most writes are decided by a bounded walk (an upper bound of the JSON's bytes, counting the
  // stored form's copy of the value too), without serialising or compacting.
  if (jsonBytesAtMost(value, limits.inlineBytes) + jsonBytesAtMost(stored, limits.inlineBytes) + 20 <= limits.inlineBytes) return undefined;
  const compact = compactStored(value, stored);
  const json = JSON.stringify({ value, stored: compact });
  // UTF-8 is at most 3 bytes per UTF-16 unit: most values are decided without counting.
  if (json.length * 3 <= limits.inlineBytes) return undefined;
  const size = Buffer.byteLength(json);
  if (size > limits.maxBytes) {
    throw msError('PAYLOAD_TOO_LARGE', `value of ${agentId}/${key} is ${size} bytes, over the cap of ${limits.maxBytes} bytes (largeValues.maxBytes)`, { details: { agentId, key, size, limit: limits.maxBytes } });
  }
  return size > limits.inlineBytes ? json : undefined;
}

/**
 * An upper bound of the bytes of `x`'s JSON (a character escapes to at most 6 bytes), or Infinity
 * once it passes `budget` or meets what it does not walk (toJSON, typed arrays, deep nesting).
 */
export function jsonBytesAtMost(x: unknown, budget: number, depth = 0): number {
  switch (typeof x) {
    case 'string': return 2 + 6 * x.length;
    case 'number': case 'bigint': return 24;
    case 'boolean': return 5;
    case 'undefined': case 'function': case 'symbol': return 4;
    default: break;
  }
  if (x === null) return 4;
  if (depth > 32) return Infinity;
  let n = 2;
  if (Array.isArray(x)) {
    for (const item of x) {
      n += 1 + jsonBytesAtMost(item, budget - n, depth + 1);
      if (n > budget) return Infinity;
    }
    return n;
  }
  const proto = Object.getPrototypeOf(x) as unknown;
  if (proto !== Object.prototype && proto !== null) return Infinity;
  for (const k in x as Record<string, unknown>) {
    n += 4 + 6 * k.length + jsonBytesAtMost((x as Record<string, unknown>)[k], budget - n, depth + 1);
    if (n > budget) return Infinity;
  }
  return n;
}

/** Stores the JSON of a large value as a new object of the agent: `<agentId>/<key>/<uuid v7>`. */
export function storeLargeValue(values: LargeValueStore, agentId: string, key: string, json: string): Promise<LargeValueRef> {
  return values.put(`${agentObjectPrefix(agentId)}${key}/${newId()}`, encoder.encode(json));
}


/** Fetches and parses a referenced value: `{ value, stored }` (stored expanded). */
export async function fetchLargeValue(values: LargeValueStore | undefined, ref: LargeValueRef, where: string): Promise<{ value: unknown; stored: unknown }> {
  if (!values) throw msError('NOT_FOUND', `${where} holds a value by reference (${ref.object}, ${ref.size} bytes) and no large-value store was given to resolve it`, { details: { object: ref.object } });
  const bytes = await values.get(ref);
  let o: { value?: unknown; stored?: unknown };
  try {
    o = JSON.parse(decoder.decode(bytes)) as { value?: unknown; stored?: unknown };
  } catch (e) {
    throw msError('CORRUPT_ENTRY', `large value ${ref.object} is not JSON`, { cause: e, details: { object: ref.object } });
  }
  return { value: o.value ?? null, stored: expandStored(o.value ?? null, o.stored ?? null) };
}

/** A state entry (KV, stream) with its referenced value in place; others are returned as they are. */
export async function resolveEntry<T extends { readonly ref?: LargeValueRef; readonly value?: unknown; readonly stored?: unknown }>(values: LargeValueStore | undefined, entry: T, where: string): Promise<T> {
  if (!entry.ref || !isUnresolved(entry)) return entry;
  const { value, stored } = await fetchLargeValue(values, entry.ref, where);
  return { ...entry, value, stored };
}

/** `StateChanged` data with its referenced value in place (value and stored), the reference kept. */
export async function resolveStateChangedData<T extends { readonly ref?: unknown; readonly value?: unknown }>(values: LargeValueStore | undefined, data: T, where: string): Promise<T> {
  if (!isUnresolved(data) || !isLargeValueRef(data.ref)) return data;
  const { value, stored } = await fetchLargeValue(values, data.ref, where);
  return { ...data, value, stored };
}

/**
 * An event (any type) with the value of a `StateChanged` by reference in place; anything else as it
 * is. Used where events leave the stream for readers: the event log's reads, projections, archive.
 */
export async function resolveEventValue<E extends { readonly type: string; readonly data: unknown; readonly id: string }>(values: LargeValueStore | undefined, event: E): Promise<E> {
  if (event.type !== 'StateChanged') return event;
  const d = event.data as { ref?: unknown; value?: unknown } | null;
  if (!d || typeof d !== 'object' || !isUnresolved(d)) return event;
  return { ...event, data: await resolveStateChangedData(values, d, `StateChanged ${event.id}`) };
}

/** Object chunk size: fewer round trips than nats.js' 128 KiB default, under the 1 MiB max_payload. */
const CHUNK_BYTES = 512 * 1024;

/**
 * {@link LargeValueStore} over a JetStream Object Store bucket (provisioned with the namespace:
 * `topology.objects.largeValues`). Objects expire with the bucket's max_age; erasure deletes an
 * agent's objects and their metadata.
 */
export class JetStreamLargeValues implements LargeValueStore {
  readonly #nats: NatsHandle;
  readonly bucket: string;
  #os: Promise<ObjectStore> | undefined;

  constructor(nats: NatsHandle, bucket: string) {
    this.#nats = nats;
    this.bucket = bucket;
  }

  /** The store of a topology's (or namespace's) LARGE_VALUES bucket, one per connection. */
  static of(nats: NatsHandle, spec: ObjectStoreSpec | { namespace: string | undefined }): JetStreamLargeValues {
    const bucket = 'bucket' in spec ? spec.bucket : largeValuesBucketName(spec.namespace);
    let byBucket = cache.get(nats);
    if (!byBucket) cache.set(nats, (byBucket = new Map()));
    let s = byBucket.get(bucket);
    if (!s) byBucket.set(bucket, (s = new JetStreamLargeValues(nats, bucket)));
    return s;
  }

  #store(): Promise<ObjectStore> {
    // Provisioned with the other streams: open without a round trip.
    return (this.#os ??= new Objm(this.#nats.nc).open(this.bucket, false));
  }

  async put(name: string, bytes: Uint8Array): Promise<LargeValueRef> {
    const os = await this.#store();
    try {
      const info = await os.putBlob({ name, options: { max_chunk_size: CHUNK_BYTES } }, bytes, { timeout: 30_000 });
      return { object: name, size: info.size, digest: info.digest };
    } catch (e) {
      throw this.#error(e, `storing large value ${name} (${bytes.length} bytes) in ${this.bucket}`);
    }
  }

  async get(ref: LargeValueRef): Promise<Uint8Array> {
    const os = await this.#store();
    let r: { info: { digest: string }; data: ReadableStream<Uint8Array>; error: Promise<Error | null> } | null;
    try {
      r = await os.get(ref.object);
    } catch (e) {
      throw this.#error(e, `reading large value ${ref.object} from ${this.bucket}`);
    }
    if (!r) throw msError('NOT_FOUND', `large value ${ref.object} (${ref.size} bytes) is not in ${this.bucket}: it expired (older than the bucket's max_age) or its agent was erased`, { details: { object: ref.object, bucket: this.bucket } });
    if (r.info.digest !== ref.digest) {
      await r.data.cancel().catch(() => undefined);
      throw msError('CORRUPT_ENTRY', `large value ${ref.object} has digest ${r.info.digest}, the reference says ${ref.digest}`, { details: { object: ref.object } });
    }
    const chunks: Uint8Array[] = [];
    let n = 0;
    try {
      for await (const c of r.data as unknown as AsyncIterable<Uint8Array>) { chunks.push(c); n += c.length; }
      const err = await r.error;
      if (err) throw err;
    } catch (e) {
      throw this.#error(e, `reading large value ${ref.object} from ${this.bucket}`);
    }
    return Buffer.concat(chunks, n);
  }

  async list(): Promise<{ name: string; size: number; digest: string }[]> {
    const os = await this.#store();
    try {
      return (await os.list()).filter((i) => !i.deleted).map((i) => ({ name: i.name, size: i.size, digest: i.digest }));
    } catch (e) {
      throw this.#error(e, `listing ${this.bucket}`);
    }
  }

  async deleteAgent(agentId: string): Promise<number> {
    const os = await this.#store();
    const prefix = agentObjectPrefix(agentId);
    const stream = `OBJ_${this.bucket}`;
    let n = 0;
    try {
      const all = await os.list();
      for (const info of all) {
        if (!info.name.startsWith(prefix)) continue;
        // The chunks and the metadata (which names the agent) go; `os.delete` would keep a marker.
        await this.#nats.jsm.streams.purge(stream, { filter: `$O.${this.bucket}.C.${info.nuid}` });
        await this.#nats.jsm.streams.purge(stream, { filter: `$O.${this.bucket}.M.${paddedBase64Url(Buffer.from(info.name, 'latin1'))}` });
        n++;
      }
    } catch (e) {
      if (jsApiCode(e) === JsCodes.streamNotFound) return n;
      throw this.#error(e, `deleting the large values of ${agentId} from ${this.bucket}`);
    }
    return n;
  }

  #error(e: unknown, context: string): MisterSmithError {
    if (MisterSmithError.is(e)) return e;
    if (e instanceof Error && /object store not found|stream not found/i.test(e.message)) {
      return msError('NOT_FOUND', `${context}: the Object Store bucket ${this.bucket} does not exist: run "mister-smith migrate" to provision NATS`, { cause: e, details: { bucket: this.bucket } });
    }
    if (e instanceof Error && /corrupt object|digests do not match/i.test(e.message)) return msError('CORRUPT_ENTRY', `${context}: ${e.message}`, { cause: e });
    return classifyNatsError(e, context);
  }
}

/** nats.js' padded base64url (object metadata subjects, digests). */
function paddedBase64Url(b: Uint8Array): string {
  return Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function sha256Digest(b: Uint8Array): string {
  return `SHA-256=${paddedBase64Url(createHash('sha256').update(b).digest())}`;
}

const cache = new WeakMap<NatsHandle, Map<string, JetStreamLargeValues>>();

/** {@link LargeValueStore} in memory (unit tests, in-memory parts). */
export class InMemoryLargeValues implements LargeValueStore {
  readonly #objects = new Map<string, Uint8Array>();

  put(name: string, bytes: Uint8Array): Promise<LargeValueRef> {
    this.#objects.set(name, bytes.slice());
    return Promise.resolve({ object: name, size: bytes.length, digest: sha256Digest(bytes) });
  }

  get(ref: LargeValueRef): Promise<Uint8Array> {
    const b = this.#objects.get(ref.object);
    if (!b) return Promise.reject(msError('NOT_FOUND', `large value ${ref.object} is not stored`, { details: { object: ref.object } }));
    return Promise.resolve(b);
  }

  deleteAgent(agentId: string): Promise<number> {
    let n = 0;
    for (const k of [...this.#objects.keys()]) if (k.startsWith(agentObjectPrefix(agentId))) { this.#objects.delete(k); n++; }
    return Promise.resolve(n);
  }

  list(): Promise<{ name: string; size: number; digest: string }[]> {
    return Promise.resolve([...this.#objects].map(([name, b]) => ({ name, size: b.length, digest: sha256Digest(b) })));
  }
}
