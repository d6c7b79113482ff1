import { MisterSmithError } from '../errors/MisterSmithError.js';
import { compareVersions } from '../events/EventEnvelope.js';
import type { KvStore } from '../kv/KvStore.js';
import { decodeKvStateEntry, encodeKvStateEntry, type KvStateEntry } from './kvStateEntry.js';

/** What a forward-only KV write did. */
export type ForwardWriteOutcome = 'written' | 'skipped-newer' | 'skipped-equal';

/**
 * Writes a state entry to KV only if KV does not already hold the same or a newer version
 * (compare-and-set with the revision read), so KV only moves forward whoever writes it: the
 * owner, the agent-state projection, a hydration or a rebuild. A corrupt entry in KV is replaced.
 * `createFirst` tries a plain `create` first (one round trip when the key is absent).
 */
export async function writeKvForward(kv: KvStore, key: string, entry: KvStateEntry, options: { maxAttempts?: number; createOnly?: boolean; createFirst?: boolean; onWritten?: (revision: number) => void } = {}): Promise<ForwardWriteOutcome> {
  if (options.createFirst && !options.createOnly) {
    // KV is probably empty here (a COLD agent): `create` writes in one round trip, and only a key
    // that exists after all costs the compare-and-set below.
    try {
      const revision = await kv.create(key, encodeKvStateEntry(entry));
      options.onWritten?.(revision);
      return 'written';
    } catch (e) {
      if (!MisterSmithError.is(e, 'REVISION_CONFLICT')) throw e;
    }
  }
  let outcome: ForwardWriteOutcome = 'written';
  await kv.cas(key, (current) => {
    if (current) {
      if (options.createOnly) { outcome = 'skipped-newer'; return undefined; }
      let existing: KvStateEntry | undefined;
      try {
        existing = decodeKvStateEntry(key, current.value);
      } catch (e) {
        if (!MisterSmithError.is(e, 'CORRUPT_ENTRY')) throw e;
      }
      if (existing) {
        const c = compareVersions(existing, entry);
        if (c >= 0) { outcome = c === 0 ? 'skipped-equal' : 'skipped-newer'; return undefined; }
      }
    }
    outcome = 'written';
    return encodeKvStateEntry(entry);
  }, { maxAttempts: options.maxAttempts ?? 20 }).then((r) => {
    if (r.written) options.onWritten?.(r.revision);
  });
  return outcome;
}
