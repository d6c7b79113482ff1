import { applyCrdtChanges, CrdtError, crdtChangesOf, isCrdtChanges, type CrdtStored } from '@mister-smith/crdt';
import type { VersionedValue } from './VersionedValue.js';

/** The saved Automerge document of an entry, if it holds one (not a tombstone, SQL edit or other strategy). */
function crdtDocOf(entry: VersionedValue | undefined): CrdtStored | undefined {
  if (!entry || entry.tombstone) return undefined;
  const s = entry.stored as { s?: unknown; doc?: unknown } | null | undefined;
  return s && typeof s === 'object' && s.s === 'crdt' && typeof s.doc === 'string' ? (s as CrdtStored) : undefined;
}

/**
 * What a `StateChanged` event carries of a stored form (ARCHITECTURE decision 9): a `crdt`
 * document becomes the Automerge changes made since `previous` (the key's version before this
 * write: the entry the event follows), so the event grows with the edit, not with the document;
 * other stored forms are carried as they are. KV and PostgreSQL keep the whole document.
 */
export function storedForEvent(previous: VersionedValue | undefined, stored: unknown): unknown {
  const s = stored as { s?: unknown; doc?: unknown } | null | undefined;
  if (!s || typeof s !== 'object' || s.s !== 'crdt' || typeof s.doc !== 'string') return stored;
  return crdtChangesOf(s as CrdtStored, crdtDocOf(previous));
}

/**
 * The whole stored form of an event's, for a reader that holds `previous` (its newest entry of the
 * key before the event: the previous event, a PostgreSQL row): Automerge changes are applied to
 * the previous document. When they cannot be (the reader does not hold the version they were made
 * from, or they do not decode), null: the event's `value` stands alone, as for an SQL edit, and
 * the next write of the key carries the whole document again.
 */
export function storedFromEvent(previous: VersionedValue | undefined, stored: unknown): unknown {
  if (!isCrdtChanges(stored)) return stored;
  try {
    return applyCrdtChanges(crdtDocOf(previous), stored);
  } catch (e) {
    if (CrdtError.is(e)) return null;
    throw e;
  }
}
