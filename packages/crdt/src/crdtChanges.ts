import * as Automerge from '@automerge/automerge';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { CrdtError } from './CrdtError.js';
import { decodeDoc } from './docCodec.js';
import { isPlainObject } from './jsonValue.js';
import { changesSince, eventChain, readableDoc, setEventChain, storeDoc, storedContains, storedHeads, writableDoc } from './liveDocs.js';
import type { CrdtStored } from './StoredValue.js';

/**
 * What an event carries of a `crdt` value: the Automerge changes that made it from the version
 * before it (`since`, the heads of that version; empty when the changes are the whole document),
 * and the heads it ends at. A reader that holds the version before (the previous event of the
 * key, a PostgreSQL row) rebuilds the document with {@link applyCrdtChanges}.
 */
export interface CrdtChanges {
  readonly s: 'crdt';
  /** Automerge changes (`saveSince` / `save` output), standard padded base64. */
  readonly changes: string;
  /** Sorted heads of the version the changes apply to; empty: they are the whole document. */
  readonly since: readonly string[];
  /** Sorted heads of the resulting version. */
  readonly heads: readonly string[];
}

/** Whether `raw` has the shape of {@link CrdtChanges} (not checked to decode). */
export function isCrdtChanges(raw: unknown): raw is CrdtChanges {
  return isPlainObject(raw) && raw['s'] === 'crdt' && typeof raw['changes'] === 'string'
    && Array.isArray(raw['since']) && raw['since'].every((h) => typeof h === 'string')
    && Array.isArray(raw['heads']) && raw['heads'].every((h) => typeof h === 'string');
}

/**
 * The changes that make `next` from `previous` (the version of the key before it), for an event:
 * proportional to the edit, not to the document. When `next` does not contain `previous` (or
 * there is none), the changes are the whole document.
 *
 * @example
 * ```ts
 * const delta = crdtChangesOf(next, current);        // what the event carries
 * const rebuilt = applyCrdtChanges(current, delta);  // what a reader holding `current` gets
 * ```
 */
export function crdtChangesOf(next: CrdtStored, previous: CrdtStored | undefined, options: { readonly fullEvery?: number } = {}): CrdtChanges {
  const heads = sorted(storedHeads(next));
  const chain = previous === undefined ? 0 : eventChain(previous) + 1;
  if (previous !== undefined && chain < (options.fullEvery ?? FULL_EVERY) && storedContains(next, previous)) {
    const since = sorted(storedHeads(previous));
    const bytes = changesSince(next, since) ?? Automerge.saveSince(readableDoc(next), [...since]);
    setEventChain(next, chain);
    return Object.freeze({ s: 'crdt', changes: bytesToBase64(bytes), since, heads });
  }
  setEventChain(next, 0);
  return Object.freeze({ s: 'crdt', changes: next.doc, since: Object.freeze([]), heads });
}

/**
 * How many versions in a row {@link crdtChangesOf} carries as changes before it carries the whole
 * document again (counted by this process from the last whole document it made or applied; a
 * document loaded from bytes counts from 0). A reader that lacks the start of a key's history (a
 * rebuild after old events were evicted and pruned) finds the document again at the next whole one.
 */
export const FULL_EVERY = 64;

/**
 * The value an event's {@link CrdtChanges} make from `previous` (the reader's version of the key
 * before the event; ignored when the changes are the whole document). The loaded document of
 * `previous` moves on to the result.
 *
 * @throws CrdtError `MISSING_CHANGES` when `previous` is not the version the changes were made
 * from (missing, or without the `since` heads), `CORRUPT_ENTRY` when the bytes do not decode or
 * do not end at `heads`.
 */
export function applyCrdtChanges(previous: CrdtStored | undefined, delta: CrdtChanges): CrdtStored {
  const bytes = base64ToBytes(delta.changes);
  if (delta.since.length === 0) {
    const doc = decodeDoc(bytes);
    expectHeads(doc, delta);
    const whole = storeDoc(doc, undefined, false);
    setEventChain(whole, 0);
    return whole;
  }
  if (previous === undefined || !sameHeads(storedHeads(previous), delta.since)) {
    throw new CrdtError('MISSING_CHANGES', 'The changes were made from a version the reader does not hold', {
      details: { since: delta.since, held: previous === undefined ? null : sorted(storedHeads(previous)) },
    });
  }
  let doc;
  const taken = writableDoc(previous, undefined);
  try {
    if (bytes.byteLength > 0) Automerge.load(bytes, { allowMissingChanges: true });
    doc = Automerge.loadIncremental(taken.doc, bytes);
  } catch (cause) {
    throw new CrdtError('CORRUPT_ENTRY', 'Bytes are not valid Automerge changes', { cause });
  }
  expectHeads(doc, delta);
  const next = storeDoc(doc, previous, taken.writable, bytes);
  setEventChain(next, eventChain(previous) + 1);
  return next;
}

function expectHeads(doc: Automerge.Doc<unknown>, delta: CrdtChanges): void {
  const heads = sorted(Automerge.getHeads(doc));
  if (!sameHeads(heads, delta.heads)) {
    throw new CrdtError('CORRUPT_ENTRY', 'The changes do not end at the heads they name', { details: { expected: delta.heads, got: heads } });
  }
}

function sorted(heads: readonly string[]): readonly string[] {
  return Object.freeze([...heads].sort());
}

function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sb = new Set(b);
  return a.every((h) => sb.has(h));
}

/**
 * The earlier version of `stored` that ends at `heads` (for a write made against an older
 * version), or undefined when `stored` does not contain those heads.
 */
export function crdtStoredAt(stored: CrdtStored, heads: readonly string[]): CrdtStored | undefined {
  if (sameHeads(storedHeads(stored), heads)) return stored;
  const doc = readableDoc(stored);
  if (!Automerge.hasHeads(doc, [...heads])) return undefined;
  return storeDoc(Automerge.clone(Automerge.view(doc, [...heads])), undefined, false);
}
