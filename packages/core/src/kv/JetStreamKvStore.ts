import type { KV, KvEntry } from '@nats-io/kv';
import { assertKvKey } from '../config/identifiers.js';
import { msError, MisterSmithError } from '../errors/MisterSmithError.js';
import type { NatsHandle } from '../nats/connectNats.js';
import { JsCodes, classifyNatsError, jsApiCode } from '../nats/natsErrors.js';
import { AsyncQueue } from '../util/AsyncQueue.js';
import { backoffMs } from '../util/backoffMs.js';
import { sleep } from '../util/sleep.js';
import type { CasOptions, CasResolve, CasResult, KvItem, KvPayload, KvStore, KvWatch } from './KvStore.js';

const encoder = new TextEncoder();

/** `KvStore` over a NATS JetStream KV bucket. Open with `JetStreamKvStore.open`. */
export class JetStreamKvStore implements KvStore {
  readonly bucket: string;
  readonly #kv: KV;
  readonly #maxValueSize: number | undefined;

  private constructor(bucket: string, kv: KV, maxValueSize: number | undefined) {
    this.bucket = bucket;
    this.#kv = kv;
    this.#maxValueSize = maxValueSize;
  }

  /** Binds to an existing bucket (provision it first); NOT_FOUND when it is missing. */
  static async open(nats: NatsHandle, bucket: string, options: { maxValueSize?: number } = {}): Promise<JetStreamKvStore> {
    try {
      const kv = await nats.kvm.open(bucket, { bindOnly: true });
      const status = await kv.status();
      // Oversized values get a typed error before they are sent, whether or not the caller passed
      // a limit: the bucket's own max value size and the server's max_payload apply either way.
      const limits = [options.maxValueSize, status.maxValueSize > 0 ? status.maxValueSize : undefined, nats.nc.info?.max_payload]
        .filter((n): n is number => n !== undefined);
      return new JetStreamKvStore(bucket, kv, limits.length > 0 ? Math.min(...limits) : undefined);
    } catch (e) {
      if (jsApiCode(e) === JsCodes.streamNotFound) {
        throw msError('NOT_FOUND', `KV bucket ${bucket} does not exist: run "mister-smith migrate" to provision NATS`, { cause: e, details: { bucket } });
      }
      throw classifyNatsError(e, `opening KV bucket ${bucket}`);
    }
  }

  async get(key: string): Promise<KvItem | null> {
    assertKvKey(key);
    try {
      const e = await this.#kv.get(key);
      if (!e) return null;
      // `operation` reads the headers: once per get, not twice.
      const operation = e.operation;
      return operation === 'PUT' ? toItem(e, operation, key) : null;
    } catch (e) {
      throw classifyNatsError(e, `reading ${this.bucket}/${key}`);
    }
  }

  async put(key: string, value: KvPayload): Promise<number> {
    const data = this.#payload(key, value);
    try { return await this.#kv.put(key, data); } catch (e) { throw classifyNatsError(e, `writing ${this.bucket}/${key}`); }
  }

  async create(key: string, value: KvPayload): Promise<number> {
    const data = this.#payload(key, value);
    try { return await this.#kv.create(key, data); } catch (e) { throw this.#conflict(e, key, 'create'); }
  }

  async update(key: string, value: KvPayload, revision: number): Promise<number> {
    const data = this.#payload(key, value);
    try { return await this.#kv.update(key, data, revision); } catch (e) { throw this.#conflict(e, key, 'update', revision); }
  }

  async delete(key: string, options: { revision?: number } = {}): Promise<void> {
    assertKvKey(key);
    try {
      await this.#kv.delete(key, options.revision !== undefined ? { previousSeq: options.revision } : undefined);
    } catch (e) { throw this.#conflict(e, key, 'delete', options.revision); }
  }

  async purge(key: string): Promise<void> {
    assertKvKey(key);
    try { await this.#kv.purge(key); } catch (e) { throw classifyNatsError(e, `purging ${this.bucket}/${key}`); }
  }

  async keys(filter?: string): Promise<string[]> {
    if (filter !== undefined && !/^[A-Za-z0-9_\-/=.*>]+$/.test(filter)) {
      throw msError('INVALID_KEY', `invalid key filter ${JSON.stringify(filter)}`, { details: { filter } });
    }
    try {
      const out: string[] = [];
      for await (const k of await this.#kv.keys(filter)) out.push(k);
      return out;
    } catch (e) { throw classifyNatsError(e, `listing keys of ${this.bucket}`); }
  }

  async history(key: string): Promise<KvItem[]> {
    assertKvKey(key);
    try {
      const out: KvItem[] = [];
      for await (const e of await this.#kv.history({ key })) out.push(toItem(e));
      return out;
    } catch (e) { throw classifyNatsError(e, `reading history of ${this.bucket}/${key}`); }
  }

  async watch(options: { key?: string; includeHistory?: boolean; updatesOnly?: boolean } = {}): Promise<KvWatch> {
    if (options.key !== undefined && !/^[A-Za-z0-9_\-/=.*>]+$/.test(options.key)) {
      throw msError('INVALID_KEY', `invalid watch key ${JSON.stringify(options.key)}`);
    }
    const include = options.updatesOnly ? 'updates' : options.includeHistory ? 'history' : '';
    const iter = await this.#kv.watch({ ...(options.key ? { key: options.key } : {}), include }).catch((e: unknown) => { throw classifyNatsError(e, `watching ${this.bucket}`); });
    const queue = new AsyncQueue<KvItem & { isUpdate: boolean }>();
    void (async () => {
      for await (const e of iter) queue.push({ ...toItem(e), isUpdate: e.isUpdate });
      queue.end();
    })().catch((e: unknown) => queue.fail(classifyNatsError(e, `watching ${this.bucket}`)));
    const stop = async () => { iter.stop(); queue.end(); };
    return Object.assign(queue, { stop, [Symbol.asyncDispose]: stop }) as unknown as KvWatch;
  }

  async cas(key: string, resolve: CasResolve, options: CasOptions = {}): Promise<CasResult> {
    const maxAttempts = options.maxAttempts ?? 10;
    const backoff = options.backoffMs ?? 2;
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await this.get(key);
      const next = await resolve(current);
      if (next === undefined) return { written: false, revision: current?.revision, attempts: attempt };
      try {
        const revision = current ? await this.update(key, next, current.revision) : await this.create(key, next); // create also succeeds over a delete marker (nats.js handles it)
        return { written: true, revision, attempts: attempt };
      } catch (e) {
        if (!MisterSmithError.is(e, 'REVISION_CONFLICT')) throw e;
        lastError = e;
        // Full jitter: spreads competing writers so one of them wins the next round.
        await sleep(backoffMs(attempt + 1, { baseMs: backoff, maxMs: backoff * 2 ** 8, jitter: 'full' }));
      }
    }
    throw msError('RETRIES_EXHAUSTED', `compare-and-set on ${this.bucket}/${key} lost ${maxAttempts} races in a row`, { cause: lastError, details: { key, attempts: maxAttempts } });
  }

  #payload(key: string, value: KvPayload): Uint8Array {
    assertKvKey(key);
    const data = typeof value === 'string' ? encoder.encode(value) : value;
    if (!(data instanceof Uint8Array)) throw msError('INVALID_ARGUMENT', `KV value for ${key} must be bytes or a string`);
    if (this.#maxValueSize !== undefined && data.length > this.#maxValueSize) {
      throw msError('PAYLOAD_TOO_LARGE', `value for ${this.bucket}/${key} is ${data.length} bytes, over the bucket's limit of ${this.#maxValueSize}`, { details: { key, size: data.length, limit: this.#maxValueSize } });
    }
    return data;
  }

  #conflict(e: unknown, key: string, op: string, revision?: number): MisterSmithError {
    const code = jsApiCode(e);
    if (code === JsCodes.wrongLastSequence || code === JsCodes.wrongLastSequenceUnknown) {
      return msError('REVISION_CONFLICT', `${op} of ${this.bucket}/${key} lost a race: the key is not at ${revision === undefined ? 'the expected state' : `revision ${revision}`}`, { cause: e, details: { key, revision } });
    }
    return classifyNatsError(e, `${op} of ${this.bucket}/${key}`);
  }
}

/** `created` parses the message's timestamp: computed only when asked for (reads never do). */
function toItem(e: KvEntry, operation: KvItem['operation'] = e.operation, key: string = e.key): KvItem {
  return { key, value: e.value, revision: e.revision, operation, get created() { return e.created; } };
}


/** Encodes a JSON value for KV. */
export function jsonPayload(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}
