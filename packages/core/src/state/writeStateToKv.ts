import { MisterSmithError } from '../errors/MisterSmithError.js';
import { compareVersions } from '../events/EventEnvelope.js';
import type { KvStore } from '../kv/KvStore.js';
import { decodeKvStateEntry } from './kvStateEntry.js';
import { oversizedJson, storeLargeValue, type LargeValueLimits, type LargeValueStore } from './largeValues.js';
import type { VersionedValue } from './VersionedValue.js';
import { writeKvForward, type ForwardWriteOutcome } from './writeKvForward.js';

/** What KV writes of state need to put large values in the Object Store. */
export interface LargeValueParts {
  readonly values: LargeValueStore | undefined;
  readonly limits: LargeValueLimits;
}

/**
 * `writeKvForward` for an entry that may hold a large value without a reference (a PostgreSQL row:
 * rows hold values themselves): only when KV does not already hold this version or a newer one,
 * the value is stored in the Object Store and KV gets the reference. A value over the hard cap
 * (only an SQL edit can make one) is not written to KV: reads of the key go to PostgreSQL.
 */
export async function writeStateToKv(
  kv: KvStore, large: LargeValueParts, agentId: string, key: string, kvKey: string, entry: VersionedValue,
  options: { createFirst?: boolean; onWritten?: (revision: number) => void } = {},
): Promise<ForwardWriteOutcome | 'skipped-too-large'> {
  if (entry.ref || entry.tombstone || !large.values) return writeKvForward(kv, kvKey, entry, options);
  let json: string | undefined;
  try {
    json = oversizedJson(large.limits, agentId, key, entry.value, entry.stored);
  } catch (e) {
    if (MisterSmithError.is(e, 'PAYLOAD_TOO_LARGE')) return 'skipped-too-large';
    throw e;
  }
  if (json === undefined) return writeKvForward(kv, kvKey, entry, options);
  // Large: look before storing an object that KV would not take.
  const current = await kv.get(kvKey);
  if (current) {
    try {
      const c = compareVersions(decodeKvStateEntry(kvKey, current.value), entry);
      if (c >= 0) return c === 0 ? 'skipped-equal' : 'skipped-newer';
    } catch (e) {
      if (!MisterSmithError.is(e, 'CORRUPT_ENTRY')) throw e;
    }
  }
  const ref = await storeLargeValue(large.values, agentId, key, json);
  return writeKvForward(kv, kvKey, { ...entry, ref }, options);
}
