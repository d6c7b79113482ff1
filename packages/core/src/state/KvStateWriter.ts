import type { Logger } from 'pino';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import type { KvStore } from '../kv/KvStore.js';
import { retryTransient } from '../nats/retryTransient.js';
import type { AgentView } from './AgentViews.js';
import { encodeKvStateEntry } from './kvStateEntry.js';
import type { VersionedValue } from './VersionedValue.js';
import { writeKvForward } from './writeKvForward.js';

/**
 * Moves AGENT_STATE KV forward after a commit. Writes run behind the acknowledgement (the append
 * is the commit point), chained per key so KV sees a key's versions in order; `pending(kvKey)` lets
 * a reader in this process wait for its own write (read-your-writes). A failure is logged: the
 * agent-state projection or the next hydration repairs KV from the stream.
 */
export class KvStateWriter {
  readonly #kv: KvStore;
  readonly #logger: Logger;
  readonly #pending = new Map<string, Promise<void>>();

  readonly #onWriting: ((kvKey: string, bytes: Uint8Array) => void) | undefined;

  /** `onWriting` learns the bytes of each KV write before it is sent (the read cache knows their watch events as its own). */
  constructor(kv: KvStore, logger: Logger, onWriting?: (kvKey: string, bytes: Uint8Array) => void) {
    this.#kv = kv;
    this.#logger = logger;
    this.#onWriting = onWriting;
  }

  /** The KV write of `kvKey` still in flight, if any. */
  pending(kvKey: string): Promise<void> | undefined {
    return this.#pending.get(kvKey);
  }

  /** Queues the write of `entry` behind earlier writes of the key; resolves once it is done (never rejects). */
  enqueue(view: AgentView, key: string, kvKey: string, entry: VersionedValue): Promise<void> {
    const prev = this.#pending.get(kvKey);
    const run = () => this.#write(view, key, kvKey, entry);
    // Nothing queued for the key (the usual case): start now instead of a microtask later.
    const next = (prev ? prev.then(run) : run()).catch((e: unknown) => {
      view.kvRevisions.delete(key);
      this.#logger.warn({ err: e, key: kvKey, seq: entry.seq }, 'KV write after commit failed; KV is behind until the projection or a hydration repairs it');
    });
    this.#pending.set(kvKey, next);
    void next.then(() => { if (this.#pending.get(kvKey) === next) this.#pending.delete(kvKey); });
    return next;
  }

  /** Waits for every queued write. */
  async drain(): Promise<void> {
    await Promise.all(this.#pending.values());
  }

  /** KV moves forward: a direct update when the revision is known, else compare-and-set. */
  async #write(view: AgentView, key: string, kvKey: string, entry: VersionedValue): Promise<void> {
    // The event is committed already: a failover must delay the KV write, not fail the write.
    await retryTransient(() => this.#writeOnce(view, key, kvKey, entry), { attempts: 8 });
  }

  async #writeOnce(view: AgentView, key: string, kvKey: string, entry: VersionedValue): Promise<void> {
    const rev = view.kvRevisions.get(key);
    // The compare-and-set below encodes the same entry to the same bytes.
    const bytes = encodeKvStateEntry(entry);
    this.#onWriting?.(kvKey, bytes);
    if (rev !== undefined) {
      try {
        view.kvRevisions.set(key, await this.#kv.update(kvKey, bytes, rev));
        return;
      } catch (e) {
        if (!MisterSmithError.is(e, 'REVISION_CONFLICT')) throw e;
      }
    }
    view.kvRevisions.delete(key);
    await writeKvForward(this.#kv, kvKey, entry, { onWritten: (r) => view.kvRevisions.set(key, r) });
  }
}
