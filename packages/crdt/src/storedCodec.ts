import { CrdtError } from './CrdtError.js';
import { parseStored } from './parseStored.js';
import type { StoredValue } from './StoredValue.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Serialise a stored value as JSON text (for a KV entry, an event payload or a jsonb column). */
export function encodeStored(stored: StoredValue): string {
  return JSON.stringify(stored);
}

/**
 * Parse and validate JSON text or UTF-8 bytes produced by {@link encodeStored}.
 *
 * @throws CrdtError `CORRUPT_ENTRY` when the input is not UTF-8, not JSON, or not a stored value.
 */
export function decodeStored(data: string | Uint8Array): StoredValue {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
  } catch (cause) {
    throw new CrdtError('CORRUPT_ENTRY', 'Stored value is not UTF-8 JSON', { cause });
  }
  return parseStored(raw);
}
