import { docHeads } from './automergeDoc.js';
import { decodeDocBase64 } from './docCodec.js';
import { canonicalJson } from './jsonValue.js';
import type { StoredValue } from './StoredValue.js';

/**
 * Whether two stored values are the same state: structurally equal for `lww` and `vclock`
 * (canonical JSON), equal history (same sorted heads) for `crdt`, whose bytes may differ with
 * the order changes were merged in. Values of different strategies are never equal.
 */
export function storedEquals(a: StoredValue, b: StoredValue): boolean {
  if (a === b) return true;
  if (a.s === 'crdt' || b.s === 'crdt') {
    if (a.s !== 'crdt' || b.s !== 'crdt') return false;
    if (a.doc === b.doc) return true;
    const left = docHeads(decodeDocBase64(a.doc));
    const right = docHeads(decodeDocBase64(b.doc));
    return left.length === right.length && left.every((head, i) => head === right[i]);
  }
  return canonicalJson(a) === canonicalJson(b);
}
