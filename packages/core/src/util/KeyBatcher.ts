interface Waiter<V> {
  readonly resolve: (value: V) => void;
  readonly reject: (e: unknown) => void;
}

/** Options of {@link KeyBatcher}. */
export interface KeyBatcherOptions<V> {
  /** Batches in flight at once (default 2); keys asked for meanwhile wait and join the next batch. */
  readonly maxInFlight?: number;
  /** Keys per batch (default 500). */
  readonly maxBatch?: number;
  /** The value of a key the batch result lacks. */
  readonly missing: () => V;
  /** A copy for the second and later callers of one key in one batch (default: the same value). */
  readonly copy?: (value: V) => V;
}

/**
 * Coalesces concurrent lookups by key into one batched call (e.g. one `WHERE agent_id = ANY($1)`
 * statement): keys asked for in the same turn of the event loop, or while `maxInFlight` batches
 * run, go out together; a lone key costs one call, as an unbatched lookup would. A failed batch
 * rejects every lookup in it with its error.
 *
 * @example
 * const rows = new KeyBatcher((ids) => repository.loadAgents(ids), { missing: () => new Map() });
 * const [a, b] = await Promise.all([rows.load('a1'), rows.load('a2')]); // one statement
 */
export class KeyBatcher<V> {
  readonly #fetch: (keys: readonly string[]) => Promise<ReadonlyMap<string, V>>;
  readonly #opts: KeyBatcherOptions<V>;
  readonly #maxInFlight: number;
  readonly #maxBatch: number;
  #queue = new Map<string, Waiter<V>[]>();
  #inFlight = 0;
  #scheduled = false;
  /** Batched calls made so far. */
  batches = 0;

  constructor(fetch: (keys: readonly string[]) => Promise<ReadonlyMap<string, V>>, options: KeyBatcherOptions<V>) {
    this.#fetch = fetch;
    this.#opts = options;
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.#maxBatch = Math.max(1, options.maxBatch ?? 500);
  }

  load(key: string): Promise<V> {
    return new Promise((resolve, reject) => {
      const waiters = this.#queue.get(key);
      if (waiters) waiters.push({ resolve, reject }); else this.#queue.set(key, [{ resolve, reject }]);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || this.#queue.size === 0) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: lookups whose replies arrived in the same I/O phase join the batch.
    setImmediate(() => { this.#scheduled = false; this.#dispatch(); });
  }

  #dispatch(): void {
    if (this.#inFlight >= this.#maxInFlight || this.#queue.size === 0) return;
    let batch: Map<string, Waiter<V>[]>;
    if (this.#queue.size <= this.#maxBatch) {
      batch = this.#queue;
      this.#queue = new Map();
    } else {
      batch = new Map();
      for (const [key, w] of this.#queue) {
        batch.set(key, w);
        this.#queue.delete(key);
        if (batch.size >= this.#maxBatch) break;
      }
    }
    this.#inFlight++;
    this.batches++;
    const { missing, copy } = this.#opts;
    let fetched: Promise<ReadonlyMap<string, V>>;
    try { fetched = this.#fetch([...batch.keys()]); } catch (e) { fetched = Promise.reject(e); }
    fetched.then((values) => {
      for (const [key, waiters] of batch) {
        const value = values.has(key) ? values.get(key)! : missing();
        for (let i = 0; i < waiters.length; i++) waiters[i]!.resolve(i === 0 || !copy ? value : copy(value));
      }
    }, (e: unknown) => {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(e);
    }).finally(() => {
      this.#inFlight--;
      this.#schedule();
    });
    this.#schedule();
  }
}
