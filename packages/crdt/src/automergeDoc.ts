import * as Automerge from '@automerge/automerge';
import { isActorId } from './actorIdFor.js';
import { CrdtError } from './CrdtError.js';
import { isPlainObject } from './jsonValue.js';
import { replaceDraft } from './replaceDraft.js';

/** An Automerge document holding a value of type `T` (read-only; edit with {@link changeDoc}). */
export type CrdtDoc<T> = Automerge.Doc<T>;

/** Options for creating or changing a document. A string is shorthand for `{ actor }`. */
export interface DocOptions {
  /** Actor id (even-length hex) for the new change. Default: a fresh random actor. */
  readonly actor?: string;
  /** Change timestamp in Unix seconds, recorded as metadata only. Default: Automerge's clock. */
  readonly time?: number;
  /** Change message, recorded as metadata only. */
  readonly message?: string;
}

/** Edits a document draft in place, or returns a plain object the document should become. */
export type DocRecipe<T> = (draft: T) => void | T;

/**
 * Create a document whose content is `initial`.
 *
 * @throws CrdtError `INVALID_ARGUMENT` when `initial` is not a plain object or holds values
 * Automerge cannot store (`undefined`, functions, ...), or the actor id is not hex.
 *
 * @example
 * ```ts
 * const doc = createDoc({ notes: [] as string[] });
 * ```
 */
export function createDoc<T extends Record<string, unknown>>(initial: T, options?: string | DocOptions): CrdtDoc<T> {
  if (!isPlainObject(initial)) {
    throw new CrdtError('INVALID_ARGUMENT', 'A document is created from a plain object');
  }
  const opts = normalizeOptions(options);
  const empty = Automerge.init<T>(opts.actor === undefined ? undefined : { actor: opts.actor });
  try {
    return Automerge.change(empty, changeOptions(opts), (draft) => replaceDraft(draft, initial));
  } catch (cause) {
    throw new CrdtError('INVALID_ARGUMENT', 'The initial content cannot be stored in a document', { cause });
  }
}

/**
 * Apply `recipe` to a copy of `doc` and return the new document. As with immer, the recipe
 * mutates a draft (or returns a plain object to replace the content); unlike `Automerge.change`,
 * the input document stays usable, so one document can be branched several times.
 *
 * @example
 * ```ts
 * const next = changeDoc(doc, (d) => { d.notes.push('call Bob'); });
 * ```
 */
export function changeDoc<T>(doc: CrdtDoc<T>, recipe: DocRecipe<T>, options?: string | DocOptions): CrdtDoc<T> {
  const opts = normalizeOptions(options);
  const copy = Automerge.clone(doc, opts.actor === undefined ? undefined : { actor: opts.actor });
  return changeDocInPlace(copy, recipe, opts);
}

/**
 * Apply `recipe` to `doc` itself, which Automerge then retires. Only for documents this package
 * just loaded and nobody else holds.
 */
export function changeDocInPlace<T>(doc: CrdtDoc<T>, recipe: DocRecipe<T>, opts: DocOptions): CrdtDoc<T> {
  return Automerge.change(doc, changeOptions(opts), (draft) => {
    const result = recipe(draft);
    if (result === undefined) return;
    if (!isPlainObject(result)) {
      throw new CrdtError('INVALID_ARGUMENT', 'A document recipe returns nothing or a plain object');
    }
    replaceDraft(draft as Record<string, unknown>, result);
  });
}

/** The document's content as plain JavaScript values (no proxies, no history). */
export function readDoc<T>(doc: CrdtDoc<T>): T {
  return Automerge.toJS(doc);
}

/** The hashes of the document's latest changes, sorted: equal heads mean equal history. */
export function docHeads(doc: CrdtDoc<unknown>): readonly string[] {
  return Object.freeze([...Automerge.getHeads(doc)].sort());
}

function normalizeOptions(options: string | DocOptions | undefined): DocOptions {
  const opts = typeof options === 'string' ? { actor: options } : (options ?? {});
  if (opts.actor !== undefined && !isActorId(opts.actor)) {
    throw new CrdtError('INVALID_ARGUMENT', 'An actor id is an even-length lowercase hex string', {
      details: { actor: opts.actor },
    });
  }
  return opts;
}

function changeOptions<T>(opts: DocOptions): Automerge.ChangeOptions<T> {
  const out: Automerge.ChangeOptions<T> = {};
  if (opts.time !== undefined) out.time = opts.time;
  if (opts.message !== undefined) out.message = opts.message;
  return out;
}
