import { msError } from '../errors/MisterSmithError.js';
import type { VersionedValue } from './VersionedValue.js';
import { compactStored, expandStored } from './compactStored.js';
import { isLargeValueRef } from './largeValues.js';

/** What an AGENT_STATE KV entry holds (JSON): a {@link VersionedValue}. */
export type KvStateEntry = VersionedValue;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Serialises a KV state entry; the value is carried once (see `compactStored`), or not at all when
 * the entry has a large-value reference (then the entry is `{ epoch, seq, strategy, ref }`).
 */
export function encodeKvStateEntry(e: KvStateEntry): Uint8Array {
  if (e.ref) return encoder.encode(JSON.stringify({ epoch: e.epoch, seq: e.seq, strategy: e.strategy, ref: e.ref, ...(e.tombstone ? { tombstone: true } : {}) }));
  const stored = compactStored(e.value, e.stored);
  return encoder.encode(JSON.stringify(stored === e.stored ? e : { ...e, stored }));
}

/** Parses a KV state entry; CORRUPT_ENTRY (naming the key) when it is not one. An entry by reference comes back unresolved (see `resolveEntry`). */
export function decodeKvStateEntry(key: string, bytes: Uint8Array): KvStateEntry {
  let o: unknown;
  try {
    o = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw msError('CORRUPT_ENTRY', `KV entry ${key} is not JSON`, { cause: e, details: { key } });
  }
  const r = o as { -readonly [K in keyof KvStateEntry]?: KvStateEntry[K] } | null;
  if (!r || typeof r !== 'object' || typeof r.epoch !== 'number' || typeof r.seq !== 'number' || typeof r.strategy !== 'string') {
    throw msError('CORRUPT_ENTRY', `KV entry ${key} does not have the shape of a state entry (epoch, seq, strategy)`, { details: { key } });
  }
  if (r.ref !== undefined) {
    if (!isLargeValueRef(r.ref)) throw msError('CORRUPT_ENTRY', `KV entry ${key} has a malformed large-value reference`, { details: { key } });
    return r as KvStateEntry;
  }
  // The parsed object is ours: the expanded stored form goes into it rather than into a copy.
  r.stored = expandStored(r.value, r.stored);
  return r as KvStateEntry;
}
