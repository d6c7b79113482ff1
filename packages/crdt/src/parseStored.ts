import { CrdtError } from './CrdtError.js';
import { knownStored } from './liveDocs.js';
import { isHlcTimestamp, type HlcTimestamp } from './HlcTimestamp.js';
import { isPlainObject, toJsonValue, type JsonValue } from './jsonValue.js';
import type { CrdtStored, LwwStored, StoredValue, VclockStored } from './StoredValue.js';
import { maximalVersions, type VclockVersion } from './vclockRegister.js';
import { isVectorClock, normalizeClock } from './vectorClocks.js';

/**
 * Validate untrusted data (e.g. a parsed KV entry) as a {@link StoredValue} of any strategy and
 * return a frozen, canonical copy: vector-clock siblings deduplicated and sorted, Automerge
 * binaries checked to load.
 *
 * @throws CrdtError `CORRUPT_ENTRY` with `details.reason` naming what is wrong.
 */
export function parseStored(raw: unknown): StoredValue {
  // A value this process built or checked already (frozen, so still valid): no copy, no re-check.
  if (typeof raw === 'object' && raw !== null && checked.has(raw)) return raw as StoredValue;
  if (!isPlainObject(raw)) throw corrupt('not an object');
  switch (raw['s']) {
    case 'lww':
      return parseLww(raw);
    case 'vclock':
      return parseVclock(raw);
    case 'crdt':
      return parseCrdt(raw);
    default:
      throw corrupt('unknown strategy tag', { s: raw['s'] });
  }
}

function parseLww(raw: Record<string, unknown>): LwwStored {
  const { value, hlc, writer } = raw;
  return markChecked(Object.freeze({ s: 'lww', value: jsonField(value, 'value'), hlc: hlcField(hlc), writer: writerField(writer) }));
}

/** Stored values known to be valid: frozen results of `parseStored` and of a strategy's `prepare`. */
const checked = new WeakSet<object>();

/**
 * Marks a frozen stored value as valid, so `parseStored` returns it as it is (the state store
 * parses the stored form of a key's current value on every write). Only for values built from
 * checked parts: `toJsonValue` output, a stamped HLC, a checked writer id.
 */
export function markChecked<T extends StoredValue>(stored: T): T {
  if (Object.isFrozen(stored)) checked.add(stored);
  return stored;
}

function parseVclock(raw: Record<string, unknown>): VclockStored {
  const siblings = raw['siblings'];
  if (!Array.isArray(siblings) || siblings.length === 0) throw corrupt('siblings is not a non-empty array');
  const versions = siblings.map((item: unknown): VclockVersion<JsonValue> => {
    if (!isPlainObject(item)) throw corrupt('a sibling is not an object');
    if (!isVectorClock(item['clock'])) throw corrupt('a sibling has an invalid vector clock');
    return Object.freeze({
      value: jsonField(item['value'], 'value'),
      clock: normalizeClock(item['clock']),
      writer: writerField(item['writer']),
      hlc: hlcField(item['hlc']),
    });
  });
  return Object.freeze({ s: 'vclock', siblings: maximalVersions(versions) });
}

function parseCrdt(raw: Record<string, unknown>): CrdtStored {
  const doc = raw['doc'];
  if (typeof doc !== 'string') throw corrupt('doc is not a string');
  if (isPlainObject(raw) && Object.isFrozen(raw) && Object.keys(raw).length === 2) {
    // A value this process made or loaded is already valid, and its document may be loaded.
    return knownStored(raw as unknown as CrdtStored);
  }
  // Loads the document (CORRUPT_ENTRY with the Automerge error as cause), or finds it loaded.
  return knownStored(Object.freeze({ s: 'crdt', doc }));
}

function jsonField(value: unknown, field: string): JsonValue {
  if (value === undefined) throw corrupt(`${field} is missing`);
  try {
    return toJsonValue(value);
  } catch (cause) {
    throw corrupt(`${field} is not JSON data`, {}, cause);
  }
}

function hlcField(value: unknown): HlcTimestamp {
  if (!isHlcTimestamp(value)) throw corrupt('hlc is not a valid timestamp');
  return Object.freeze({ wall: value.wall, counter: value.counter, node: value.node });
}

function writerField(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw corrupt('writer is not a non-empty string');
  return value;
}

function corrupt(reason: string, details: Record<string, unknown> = {}, cause?: unknown): CrdtError {
  return new CrdtError('CORRUPT_ENTRY', `Corrupt stored value: ${reason}`, { cause, details: { reason, ...details } });
}
