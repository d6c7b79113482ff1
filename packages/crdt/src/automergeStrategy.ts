import * as Automerge from '@automerge/automerge';
import { actorIdFor, genesisActorId } from './actorIdFor.js';
import { changeDocInPlace, createDoc, readDoc, type CrdtDoc, type DocRecipe } from './automergeDoc.js';
import { bytesToBase64 } from './base64.js';
import type { ConflictStrategy, WriteContext } from './ConflictStrategy.js';
import { CrdtError } from './CrdtError.js';
import { decodeDoc, decodeDocBase64, encodeDoc } from './docCodec.js';
import { expectStored } from './expectStored.js';
import { canonicalJson, isPlainObject } from './jsonValue.js';
import { mergeDocs } from './mergeDocs.js';
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
 * saved bytes (both merged in). Every write uses its own actor id ({@link actorIdFor}) and the
 * HLC wall time as change time, so prepared documents are deterministic under an injected clock.
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
  const load = (stored: CrdtStored, actor?: string): CrdtDoc<T> => decodeDocBase64<T>(stored.doc, actor);

  const strategy: ConflictStrategy<T> = {
    name: 'crdt',
    prepare(input: unknown, ctx: WriteContext, current: StoredValue | undefined): CrdtStored {
      assertWriteContext(ctx);
      const view = expectStored('crdt', ctx.base) ?? expectStored('crdt', current);
      // A fresh local stamp even when `ctx.at` is given: the actor id must be unique per call.
      const stamp = ctx.at === undefined ? ctx.clock.now() : ctx.clock.receive(ctx.at);
      const actor = actorIdFor(ctx.writer, stamp);
      const change = { actor, time: Math.floor(stamp.wall / 1000) };
      const base =
        view !== undefined ? load(view, actor) : genesis !== undefined ? decodeDoc<T>(genesis, actor) : undefined;
      if (typeof input === 'function') {
        return store(changeDocInPlace(base ?? Automerge.init<T>({ actor }), input as DocRecipe<T>, change));
      }
      if (input instanceof Uint8Array || Automerge.isAutomerge(input)) {
        const incoming = input instanceof Uint8Array ? decodeDoc<T>(input) : (input as CrdtDoc<T>);
        return store(base === undefined ? incoming : mergeDocs(base, incoming));
      }
      if (isPlainObject(input)) {
        if (base === undefined) return store(genesisDoc(input));
        try {
          return store(changeDocInPlace(base, () => input as T, change));
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
      if (a.doc === b.doc) return b;
      const left = load(a);
      const right = load(b);
      const merged = mergeDocs(left, right);
      return merged === left ? a : merged === right ? b : store(merged);
    },
    read(stored: StoredValue): T {
      return readDoc(load(expectStored('crdt', stored)));
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

/** A document whose first change depends only on `content`, so equal content gives equal history. */
function genesisDoc<T extends Record<string, unknown>>(content: T): CrdtDoc<T> {
  return createDoc(content, { actor: genesisActorId(canonicalJson(content)), time: 0 });
}

function store(doc: CrdtDoc<unknown>): CrdtStored {
  return Object.freeze({ s: 'crdt', doc: bytesToBase64(encodeDoc(doc)) });
}
