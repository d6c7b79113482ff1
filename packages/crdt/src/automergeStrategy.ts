import * as Automerge from '@automerge/automerge';
import { actorIdFor, genesisActorId } from './actorIdFor.js';
import { changeDocInPlace, createDoc, readDoc, type CrdtDoc, type DocRecipe } from './automergeDoc.js';
import type { ConflictStrategy, WriteContext } from './ConflictStrategy.js';
import { CrdtError } from './CrdtError.js';
import { decodeDoc, encodeDoc } from './docCodec.js';
import { expectStored } from './expectStored.js';
import { canonicalJson, isPlainObject } from './jsonValue.js';
import { knownStored, readableDoc, storeDoc, storedContains, writableDoc } from './liveDocs.js';
import { parseStored } from './parseStored.js';
import { assertWriteContext } from './stampWrite.js';
import { storedEquals } from './storedEquals.js';
import type { CrdtStored, StoredValue } from './StoredValue.js';

/** Options of {@link automerge}. */
export interface AutomergeOptions<T extends Record<string, unknown>> {
  /**
   * Content of every document before its first write, created by one deterministic change that
   * all writers share. Give the lists and maps writers add to here: two writers that each
   * create `items: []` in their own first write make two competing lists, and one list's items
   * are hidden by the merge.
   */
  readonly initial?: T;
}

/**
 * Automerge CRDT: the value is a JSON-like document whose concurrent edits all survive a
 * merge (list inserts from every writer, map keys from every writer; concurrent assignments to
 * one field resolved by Automerge's deterministic rule).
 *
 * Input to `prepare`: a recipe editing an Automerge draft (`(d) => { d.items.push(x) }`), a
 * plain object the document becomes (applied as a minimal edit), an Automerge document, or its
 * saved bytes (both merged in). A write that loads the document uses its own actor id
 * ({@link actorIdFor}); later writes made from its result change the same loaded document under
 * that actor (only this line of versions uses it). The change time is the HLC wall time, so
 * prepared documents are deterministic under an injected clock.
 *
 * @example
 * ```ts
 * const notes = automerge<{ items: string[] }>({ initial: { items: [] } });
 * const next = applyWrite(notes, (d: { items: string[] }) => { d.items.push('hi'); }, ctx, current);
 * notes.read(next); // { items: [..., 'hi'] }
 * ```
 */
export function automerge<T extends Record<string, unknown> = Record<string, unknown>>(
  options: AutomergeOptions<T> = {},
): ConflictStrategy<T> {
  const genesis = options.initial === undefined ? undefined : encodeDoc(genesisDoc(options.initial));

  const strategy: ConflictStrategy<T> = {
    name: 'crdt',
    prepare(input: unknown, ctx: WriteContext, current: StoredValue | undefined): CrdtStored {
      assertWriteContext(ctx);
      const view = expectStored('crdt', ctx.base) ?? expectStored('crdt', current);
      // A fresh local stamp even when `ctx.at` is given: the actor id must be unique per call.
      const stamp = ctx.at === undefined ? ctx.clock.now() : ctx.clock.receive(ctx.at);
      const actor = actorIdFor(ctx.writer, stamp);
      const change = { actor, time: Math.floor(stamp.wall / 1000) };
      // The document of `view` as loaded in this process (it moves on to the result), or loaded now.
      // The document of `view` as loaded in this process (it moves on to the result), or loaded now
      // with this write's actor.
      const base = (): CrdtDoc<T> | undefined =>
        view !== undefined ? writableDoc<T>(view, actor).doc : genesis !== undefined ? decodeDoc<T>(genesis, actor) : undefined;
      if (typeof input === 'function') {
        return storeDoc(changeDocInPlace(base() ?? Automerge.init<T>({ actor }), input as DocRecipe<T>, change), view, true);
      }
      if (input instanceof Uint8Array || Automerge.isAutomerge(input)) {
        const incoming = input instanceof Uint8Array ? decodeDoc<T>(input) : (input as CrdtDoc<T>);
        const doc = base();
        // A document handed in stays the caller's: it is never changed here, nor written on later.
        return doc === undefined ? storeDoc(Automerge.clone(incoming, { actor: actor as Automerge.ActorId }), undefined, true) : storeDoc(mergeInto(doc, incoming), view, true);
      }
      if (isPlainObject(input)) {
        const doc = base();
        if (doc === undefined) return storeDoc(genesisDoc(input), undefined, false);
        try {
          return storeDoc(changeDocInPlace(doc, () => input as T, change), view, true);
        } catch (cause) {
          if (CrdtError.is(cause)) throw cause;
          throw new CrdtError('INVALID_ARGUMENT', 'The value cannot be stored in a document', { cause });
        }
      }
      throw new CrdtError('INVALID_ARGUMENT', 'A crdt write is a plain object, a recipe, or an Automerge document');
    },
    merge(current: StoredValue, incoming: StoredValue): CrdtStored {
      const a = expectStored('crdt', current);
      const b = expectStored('crdt', incoming);
      // A write prepared on top of `current` contains it: the common case costs no document work.
      if (storedContains(b, a)) return b;
      if (storedContains(a, b)) return a;
      // Merge into the loaded document of `incoming` (it moves on to the result; both inputs stay
      // valid values), adding the changes of `current`.
      const into = writableDoc<T>(b, undefined);
      return storeDoc(mergeInto(into.doc, readableDoc<T>(a)), b, into.writable);
    },
    read(stored: StoredValue): T {
      return readDoc(readableDoc<T>(knownStored(expectStored('crdt', stored))));
    },
    parse(raw: unknown): CrdtStored {
      return expectStored('crdt', parseStored(raw));
    },
    isConflict(current: StoredValue, incoming: StoredValue): boolean {
      return !storedEquals(strategy.merge(current, incoming), incoming);
    },
  };
  return Object.freeze(strategy);
}

/** Adds the changes of `other` to `doc` (which Automerge retires; use the result). */
function mergeInto<T>(doc: CrdtDoc<T>, other: CrdtDoc<T>): CrdtDoc<T> {
  try {
    return Automerge.merge(doc, other);
  } catch (cause) {
    throw new CrdtError('MERGE_FAILED', 'Automerge could not merge the two documents', { cause });
  }
}

/** A document whose first change depends only on `content`, so equal content gives equal history. */
function genesisDoc<T extends Record<string, unknown>>(content: T): CrdtDoc<T> {
  return createDoc(content, { actor: genesisActorId(canonicalJson(content)), time: 0 });
}
