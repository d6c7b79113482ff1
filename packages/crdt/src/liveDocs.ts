import * as Automerge from '@automerge/automerge';
import { LRUCache } from 'lru-cache';
import type { CrdtDoc } from './automergeDoc.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { decodeDoc } from './docCodec.js';
import type { CrdtStored } from './StoredValue.js';

/**
 * What this process keeps of a `crdt` stored value it produced or loaded, so a write does not
 * load the document from its bytes again (loading costs tens of milliseconds for a document of a
 * few hundred changes; a change and its incremental save cost well under one).
 */
interface Live {
  /** The loaded document, until a later version takes it over (its memory moves on with it). */
  doc: CrdtDoc<unknown> | undefined;
  /**
   * Whether new changes may be made on `doc` as it is: its actor is one this process made for a
   * write (unique to this line of versions). A genesis document's actor is shared by design, and a
   * document loaded for reading has a random one (not deterministic): those are copied with the
   * write's actor first.
   */
  writable: boolean;
  /** Its heads (kept after the document moved on). */
  readonly heads: readonly string[];
  /** The saved bytes (`doc` of the stored value): a compacted document plus appended changes. */
  readonly bytes: Uint8Array;
  /** How many of `bytes` are the compacted part. */
  readonly compacted: number;
  /** The changes since the version this one was made from, when it was made here. */
  readonly since?: { readonly heads: readonly string[]; readonly changes: Uint8Array };
  /** Versions since the last one whose event carried the whole document, as far as this process knows. */
  chain?: number;
}

const byStored = new WeakMap<CrdtStored, Live>();

/**
 * Stored values by their `doc` text, so a value read back from KV or PostgreSQL that this
 * process wrote or loaded before finds its loaded document. Bounded by the total length of the
 * texts (LRU): 64 MiB of base64 text, about 48 MiB of saved documents plus their loaded forms;
 * a longer text is not kept.
 */
const byText = new LRUCache<string, CrdtStored>({ maxSize: 64 * 1024 * 1024, sizeCalculation: (_stored, text) => Math.max(1, text.length) });

function register(stored: CrdtStored, live: Live): CrdtStored {
  byStored.set(stored, live);
  byText.set(stored.doc, stored);
  return stored;
}

function freeze(doc: string): CrdtStored {
  return Object.freeze({ s: 'crdt', doc });
}

/**
 * The stored value of `doc`, a document made from `parent`'s: it took `parent`'s loaded document
 * or was loaded from its bytes, so it holds all of its changes (callers guarantee it; checking
 * costs as much as the write). the saved bytes are `parent`'s with the new changes appended, and
 * compacted (`Automerge.save`) once the appended part outgrows the compacted one. The document
 * stays loaded with the result. Without a parent, the document is saved whole. `knownChanges`: the
 * changes since `parent`, when the caller has them.
 */
export function storeDoc(doc: CrdtDoc<unknown>, parent: CrdtStored | undefined, writable: boolean, knownChanges?: Uint8Array): CrdtStored {
  const heads = Automerge.getHeads(doc);
  const from = parent === undefined ? undefined : byStored.get(parent);
  if (from !== undefined) {
    if (sameHeads(heads, from.heads)) {
      // Nothing changed: the parent is the result, and it holds the document again.
      from.doc = doc;
      from.writable = writable;
      return parent!;
    }
    const changes = knownChanges ?? Automerge.saveSince(doc, [...from.heads]);
    const appended = from.bytes.byteLength - from.compacted + changes.byteLength;
    if (appended <= Math.max(from.compacted, 4096)) {
      const bytes = new Uint8Array(from.bytes.byteLength + changes.byteLength);
      bytes.set(from.bytes, 0);
      bytes.set(changes, from.bytes.byteLength);
      return register(freeze(bytesToBase64(bytes)), { doc, writable, heads, bytes, compacted: from.compacted, since: { heads: from.heads, changes } });
    }
    const bytes = Automerge.save(doc);
    return register(freeze(bytesToBase64(bytes)), { doc, writable, heads, bytes, compacted: bytes.byteLength, since: { heads: from.heads, changes } });
  }
  const bytes = Automerge.save(doc);
  return register(freeze(bytesToBase64(bytes)), { doc, writable, heads, bytes, compacted: bytes.byteLength });
}

/** Registers a value loaded from `bytes` (its document already loaded as `doc`). */
function adopt(stored: CrdtStored, bytes: Uint8Array, doc: CrdtDoc<unknown>): Live {
  const live: Live = { doc, writable: false, heads: Automerge.getHeads(doc), bytes, compacted: bytes.byteLength };
  register(stored, live);
  return live;
}

function liveOf(stored: CrdtStored): Live {
  const known = byStored.get(stored);
  if (known !== undefined) return known;
  const same = byText.get(stored.doc);
  const other = same === undefined ? undefined : byStored.get(same);
  if (other !== undefined) {
    byStored.set(stored, other);
    return other;
  }
  const bytes = base64ToBytes(stored.doc);
  return adopt(stored, bytes, decodeDoc(bytes));
}

/**
 * A stored value equal to `stored` that this process may already have loaded (same `doc` text),
 * or `stored` itself, validated by loading it (CORRUPT_ENTRY when it does not load).
 */
export function knownStored(stored: CrdtStored): CrdtStored {
  if (byStored.has(stored)) return stored;
  const same = byText.get(stored.doc);
  if (same !== undefined && byStored.has(same)) return same;
  liveOf(stored);
  return stored;
}

/** The heads of the stored document (no load when this process made or loaded it). */
export function storedHeads(stored: CrdtStored): readonly string[] {
  return liveOf(stored).heads;
}

/** The changes that made `stored` from the version with `heads`, when this process made it so. */
export function changesSince(stored: CrdtStored, heads: readonly string[]): Uint8Array | undefined {
  const since = byStored.get(stored)?.since;
  return since !== undefined && sameHeads(since.heads, heads) ? since.changes : undefined;
}

/** The document for reading (loaded once, then kept with the value). Do not change it. */
export function readableDoc<T>(stored: CrdtStored): CrdtDoc<T> {
  const live = liveOf(stored);
  if (live.doc === undefined) {
    live.doc = decodeDoc(live.bytes);
    live.writable = false;
  }
  return live.doc as CrdtDoc<T>;
}

/**
 * The document to change for a new version made from `stored`, and whether its actor is one of
 * this process's write actors: its loaded document, which moves on to the new version (no copy;
 * `stored` itself stays a valid value, and is loaded again from its bytes if it is needed later),
 * a copy with `actor` when the loaded one may not take new changes as it is, or a fresh load.
 */
export function writableDoc<T>(stored: CrdtStored, actor: string | undefined): { doc: CrdtDoc<T>; writable: boolean } {
  const live = liveOf(stored);
  const doc = live.doc;
  if (doc !== undefined && (live.writable || actor === undefined)) {
    live.doc = undefined;
    return { doc: doc as CrdtDoc<T>, writable: live.writable };
  }
  if (doc !== undefined) return { doc: Automerge.clone(doc as CrdtDoc<T>, { actor: actor as Automerge.ActorId }), writable: true };
  return { doc: decodeDoc<T>(live.bytes, actor), writable: actor !== undefined };
}

/** Versions of `stored`'s line since an event carried the whole document (0 when unknown). */
export function eventChain(stored: CrdtStored): number {
  return byStored.get(stored)?.chain ?? 0;
}

/** Records {@link eventChain} for `stored`. */
export function setEventChain(stored: CrdtStored, chain: number): void {
  const live = byStored.get(stored);
  if (live !== undefined) live.chain = chain;
}

/** Whether `a` contains every change of `b`. */
export function storedContains(a: CrdtStored, b: CrdtStored): boolean {
  if (a === b || a.doc === b.doc) return true;
  const heads = storedHeads(b);
  const live = liveOf(a);
  // `a` made here from `b` (the common case: a write prepared on the current value) contains it;
  // asking Automerge decodes each head's change.
  if (sameHeads(live.heads, heads) || (live.since !== undefined && sameHeads(live.since.heads, heads))) return true;
  return Automerge.hasHeads(readableDoc(a), [...heads]);
}

/** Forgets every loaded document (tests; memory pressure). */
export function forgetLoadedDocs(): void {
  byText.clear();
}

function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sb = new Set(b);
  return a.every((h) => sb.has(h));
}
