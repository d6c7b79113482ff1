import * as Automerge from '@automerge/automerge';
import { isActorId } from './actorIdFor.js';
import type { CrdtDoc } from './automergeDoc.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { CrdtError } from './CrdtError.js';

/** The compact binary form of a document, with its full history. */
export function encodeDoc(doc: CrdtDoc<unknown>): Uint8Array {
  return Automerge.save(doc);
}

/**
 * Load a document saved with {@link encodeDoc}. `actor` sets the actor of changes made to the
 * loaded document (default: random).
 *
 * @throws CrdtError `CORRUPT_ENTRY` when `bytes` is empty, truncated or not an Automerge document.
 */
export function decodeDoc<T = unknown>(bytes: Uint8Array, actor?: string): CrdtDoc<T> {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) {
    // Automerge loads zero bytes as an empty document; a stored entry is never empty.
    throw new CrdtError('CORRUPT_ENTRY', 'An Automerge document is a non-empty byte array');
  }
  if (actor !== undefined && !isActorId(actor)) {
    throw new CrdtError('INVALID_ARGUMENT', 'An actor id is an even-length lowercase hex string', { details: { actor } });
  }
  try {
    return Automerge.load<T>(bytes, actor === undefined ? undefined : { actor });
  } catch (cause) {
    throw new CrdtError('CORRUPT_ENTRY', 'Bytes are not a valid Automerge document', {
      cause,
      details: { byteLength: bytes.byteLength },
    });
  }
}

/** {@link encodeDoc} as base64, for JSON documents and KV entries. */
export function encodeDocBase64(doc: CrdtDoc<unknown>): string {
  return bytesToBase64(encodeDoc(doc));
}

/**
 * Load a document from the output of {@link encodeDocBase64}.
 *
 * @throws CrdtError `CORRUPT_ENTRY` when `text` is not base64 or not a document.
 */
export function decodeDocBase64<T = unknown>(text: string, actor?: string): CrdtDoc<T> {
  return decodeDoc<T>(base64ToBytes(text), actor);
}
