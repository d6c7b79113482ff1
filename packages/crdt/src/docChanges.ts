import * as Automerge from '@automerge/automerge';
import type { CrdtDoc } from './automergeDoc.js';
import { CrdtError } from './CrdtError.js';

/**
 * The changes of `doc` made after `since` (heads of an earlier version), as bytes for an
 * event payload; without `since`, the whole document. Apply them with {@link applyDocChanges}.
 *
 * @throws CrdtError `INVALID_ARGUMENT` when `doc` does not contain the `since` heads.
 *
 * @example
 * ```ts
 * const delta = encodeDocChanges(after, docHeads(before)); // what an event carries
 * const replica = applyDocChanges(before, delta);          // equal to `after`
 * ```
 */
export function encodeDocChanges(doc: CrdtDoc<unknown>, since?: readonly string[]): Uint8Array {
  if (since === undefined) return Automerge.save(doc);
  if (!Automerge.hasHeads(doc, [...since])) {
    throw new CrdtError('INVALID_ARGUMENT', 'The document does not contain the given heads', {
      details: { since },
    });
  }
  return Automerge.saveSince(doc, [...since]);
}

/**
 * Apply changes from {@link encodeDocChanges} to a copy of `doc`.
 *
 * @throws CrdtError `CORRUPT_ENTRY` when the bytes do not decode, `MISSING_CHANGES` when they
 * depend on changes `doc` does not have (they were encoded against another base).
 */
export function applyDocChanges<T>(doc: CrdtDoc<T>, changes: Uint8Array): CrdtDoc<T> {
  if (!(changes instanceof Uint8Array)) {
    throw new CrdtError('CORRUPT_ENTRY', 'Automerge changes are a byte array');
  }
  let next: CrdtDoc<T>;
  try {
    // loadIncremental skips bytes it cannot parse (it is built for partial streams); a strict
    // parse first turns garbage into an error instead of a silent no-op.
    if (changes.byteLength > 0) Automerge.load(changes, { allowMissingChanges: true });
    next = Automerge.loadIncremental(Automerge.clone(doc), changes);
  } catch (cause) {
    throw new CrdtError('CORRUPT_ENTRY', 'Bytes are not valid Automerge changes', { cause });
  }
  const missing = Automerge.getMissingDeps(next, []);
  if (missing.length > 0) {
    throw new CrdtError('MISSING_CHANGES', 'The changes depend on changes the document lacks', {
      details: { missing },
    });
  }
  return next;
}
