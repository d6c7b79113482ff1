/** One KV entry as the store returns it. */
export interface KvItem {
  readonly key: string;
  readonly value: Uint8Array;
  readonly revision: number;
  readonly created: Date;
  readonly operation: 'PUT' | 'DEL' | 'PURGE';
}

/** A value accepted by KV writes: bytes, a string (UTF-8) or anything JSON-serialisable via `putJson`. */
export type KvPayload = Uint8Array | string;

/** What a compare-and-set resolve function returns: the bytes to write, or `undefined` to leave KV as it is. */
export type CasResolve = (current: KvItem | null) => KvPayload | undefined | Promise<KvPayload | undefined>;

/** Options of a compare-and-set loop. */
export interface CasOptions {
  /** Attempts before RETRIES_EXHAUSTED (default 10). */
  readonly maxAttempts?: number;
  /** Base of the jittered exponential backoff between attempts, ms (default 2). */
  readonly backoffMs?: number;
}

/** The outcome of a compare-and-set loop. */
export type CasResult =
  | { readonly written: true; readonly revision: number; readonly attempts: number }
  | { readonly written: false; readonly revision: number | undefined; readonly attempts: number };

/** A stopped-on-demand stream of KV changes. */
export interface KvWatch extends AsyncIterable<KvItem & { readonly isUpdate: boolean }>, AsyncDisposable {
  stop(): Promise<void>;
}

/**
 * A key-value bucket with optimistic concurrency. `JetStreamKvStore` implements it over NATS KV.
 * Keys use the NATS key alphabet (`A-Z a-z 0-9 - _ / = .`).
 */
export interface KvStore {
  readonly bucket: string;
  /** The live value, or null when the key is missing, deleted or expired. */
  get(key: string): Promise<KvItem | null>;
  put(key: string, value: KvPayload): Promise<number>;
  /** Writes only when the key does not exist (or is deleted); REVISION_CONFLICT otherwise. */
  create(key: string, value: KvPayload): Promise<number>;
  /** Writes only when the key is at `revision`; REVISION_CONFLICT otherwise. */
  update(key: string, value: KvPayload, revision: number): Promise<number>;
  delete(key: string, options?: { revision?: number }): Promise<void>;
  /** Deletes the key and its history. */
  purge(key: string): Promise<void>;
  keys(filter?: string): Promise<string[]>;
  /** Every retained revision of a key, oldest first (deletes included). */
  history(key: string): Promise<KvItem[]>;
  watch(options?: { key?: string; includeHistory?: boolean; updatesOnly?: boolean }): Promise<KvWatch>;
  /** Read-resolve-write with bounded, jittered retries on revision conflicts. */
  cas(key: string, resolve: CasResolve, options?: CasOptions): Promise<CasResult>;
}
