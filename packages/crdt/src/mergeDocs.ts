import * as Automerge from '@automerge/automerge';
import type { CrdtDoc } from './automergeDoc.js';
import { CrdtError } from './CrdtError.js';
import { decodeDoc, encodeDoc } from './docCodec.js';

/** Whether `doc` already contains every change of `other`. */
export function docContains(doc: CrdtDoc<unknown>, other: CrdtDoc<unknown>): boolean {
  return Automerge.hasHeads(doc, Automerge.getHeads(other));
}

/**
 * Merge two documents without touching either: the result holds the changes of both.
 * When one already contains the other it is returned as is.
 *
 * @throws CrdtError `MERGE_FAILED` when Automerge refuses (e.g. two different changes reuse
 * one actor id and sequence number).
 *
 * @example
 * ```ts
 * const both = mergeDocs(aliceDoc, bobDoc);
 * ```
 */
export function mergeDocs<T>(a: CrdtDoc<T>, b: CrdtDoc<T>): CrdtDoc<T> {
  if (docContains(a, b)) return a;
  if (docContains(b, a)) return b;
  try {
    // Automerge.merge retires its first argument; merging into a clone keeps `a` usable.
    return Automerge.merge(Automerge.clone(a), b);
  } catch (cause) {
    throw new CrdtError('MERGE_FAILED', 'Automerge could not merge the two documents', { cause });
  }
}

/**
 * Merge two saved documents (see {@link encodeDoc}) and return the saved result.
 *
 * @throws CrdtError `CORRUPT_ENTRY` when either input does not decode, `MERGE_FAILED` as
 * {@link mergeDocs}.
 */
export function mergeEncodedDocs(a: Uint8Array, b: Uint8Array): Uint8Array {
  const left = decodeDoc(a);
  const right = decodeDoc(b);
  const merged = mergeDocs(left, right);
  if (merged === left) return a;
  if (merged === right) return b;
  return encodeDoc(merged);
}
