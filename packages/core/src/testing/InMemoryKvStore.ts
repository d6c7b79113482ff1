import { assertKvKey } from '../config/identifiers.js';
import { subjectMatches } from '../config/subjectMatches.js';
import { MisterSmithError, msError } from '../errors/MisterSmithError.js';
import type { CasOptions, CasResolve, CasResult, KvItem, KvPayload, KvStore, KvWatch } from '../kv/KvStore.js';
import { AsyncQueue } from '../util/AsyncQueue.js';
import { backoffMs } from '../util/backoffMs.js';
import { sleep } from '../util/sleep.js';

const encoder = new TextEncoder();

/**
 * A {@link KvStore} in memory with the semantics of a JetStream KV bucket (revisions shared by the
 * bucket, delete markers in history, create over a deleted key, compare-and-set): for unit tests of
 * the state store. It passes the same contract suite as `JetStreamKvStore`.
 */
export class InMemoryKvStore implements KvStore {
  readonly bucket: string;
  readonly #history = new Map<string, KvItem[]>();
  readonly #watchers = new Set<{ queue: AsyncQueue<KvItem & { readonly isUpdate: boolean }>; key: string | undefined }>();
  #revision = 0;

  constructor(bucket = 'MEMORY') {
    this.bucket = bucket;
  }

  #latest(key: string): KvItem | undefined {
    return this.#history.get(key)?.at(-1);
  }

  #record(key: string, value: Uint8Array, operation: KvItem['operation']): number {
    const item: KvItem = { key, value, revision: ++this.#revision, created: new Date(), operation };
    const h = this.#history.get(key) ?? [];
    if (operation === 'PURGE') h.length = 0;
    h.push(item);
    this.#history.set(key, h);
    for (const w of this.#watchers) if (w.key === undefined || subjectMatches(w.key, key)) w.queue.push({ ...item, isUpdate: true });
    return item.revision;
  }

  #bytes(key: string, value: KvPayload): Uint8Array {
    assertKvKey(key);
    return typeof value === 'string' ? encoder.encode(value) : value.slice();
  }

  async get(key: string): Promise<KvItem | null> {
    assertKvKey(key);
    const e = this.#latest(key);
    return e && e.operation === 'PUT' ? e : null;
  }

  async put(key: string, value: KvPayload): Promise<number> {
    return this.#record(key, this.#bytes(key, value), 'PUT');
  }

  async create(key: string, value: KvPayload): Promise<number> {
    const bytes = this.#bytes(key, value);
    const e = this.#latest(key);
    if (e && e.operation === 'PUT') throw msError('REVISION_CONFLICT', `${this.bucket}/${key} exists already`, { details: { key } });
    return this.#record(key, bytes, 'PUT');
  }

  async update(key: string, value: KvPayload, revision: number): Promise<number> {
    const bytes = this.#bytes(key, value);
    if (this.#latest(key)?.revision !== revision) throw msError('REVISION_CONFLICT', `${this.bucket}/${key} is not at revision ${revision}`, { details: { key, revision } });
    return this.#record(key, bytes, 'PUT');
  }

  async delete(key: string, options: { revision?: number } = {}): Promise<void> {
    assertKvKey(key);
    if (options.revision !== undefined && this.#latest(key)?.revision !== options.revision) {
      throw msError('REVISION_CONFLICT', `${this.bucket}/${key} is not at revision ${options.revision}`, { details: { key, revision: options.revision } });
    }
    this.#record(key, new Uint8Array(), 'DEL');
  }

  async purge(key: string): Promise<void> {
    assertKvKey(key);
    this.#record(key, new Uint8Array(), 'PURGE');
  }

  async keys(filter?: string): Promise<string[]> {
    const out: string[] = [];
    for (const [k, h] of this.#history) if (h.at(-1)?.operation === 'PUT' && (filter === undefined || subjectMatches(filter, k))) out.push(k);
    return out;
  }

  async history(key: string): Promise<KvItem[]> {
    assertKvKey(key);
    return [...(this.#history.get(key) ?? [])];
  }

  async watch(options: { key?: string; includeHistory?: boolean; updatesOnly?: boolean } = {}): Promise<KvWatch> {
    const queue = new AsyncQueue<KvItem & { readonly isUpdate: boolean }>();
    const w = { queue, key: options.key };
    if (!options.updatesOnly) {
      for (const [k, h] of this.#history) {
        if (options.key !== undefined && !subjectMatches(options.key, k)) continue;
        for (const item of options.includeHistory ? h : h.slice(-1)) queue.push({ ...item, isUpdate: false });
      }
    }
    this.#watchers.add(w);
    const stop = async () => { this.#watchers.delete(w); queue.end(); };
    return Object.assign(queue, { stop, [Symbol.asyncDispose]: stop }) as unknown as KvWatch;
  }

  async cas(key: string, resolve: CasResolve, options: CasOptions = {}): Promise<CasResult> {
    const maxAttempts = options.maxAttempts ?? 10;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await this.get(key);
      const next = await resolve(current);
      if (next === undefined) return { written: false, revision: current?.revision, attempts: attempt };
      try {
        const revision = current ? await this.update(key, next, current.revision) : await this.create(key, next);
        return { written: true, revision, attempts: attempt };
      } catch (e) {
        if (!MisterSmithError.is(e, 'REVISION_CONFLICT')) throw e;
        await sleep(backoffMs(attempt + 1, { baseMs: options.backoffMs ?? 2, maxMs: 256, jitter: 'full' }));
      }
    }
    throw msError('RETRIES_EXHAUSTED', `compare-and-set on ${this.bucket}/${key} lost ${maxAttempts} races in a row`, { details: { key, attempts: maxAttempts } });
  }
}
