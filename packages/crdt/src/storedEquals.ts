import { storedHeads } from './liveDocs.js';
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
    const left = [...storedHeads(a)].sort();
    const right = [...storedHeads(b)].sort();
    return left.length === right.length && left.every((head, i) => head === right[i]);
  }
  return canonicalJson(a) === canonicalJson(b);
}
