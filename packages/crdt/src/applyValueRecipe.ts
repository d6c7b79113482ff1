import { produce, type Draft } from 'immer';
import { toJsonValue, type JsonValue } from './jsonValue.js';

/**
 * A recipe for `lww` and `vclock` writes: receives an immer draft of the current value (or
 * `undefined` when the key has none) and either mutates it or returns the new value.
 */
export type ValueRecipe<T> = (draft: Draft<T> | undefined) => T | void;

/** Run `recipe` against `base` with immer and validate the result as JSON data. */
export function applyValueRecipe(base: unknown, recipe: (draft: unknown) => unknown): JsonValue {
  const run = produce as unknown as (base: unknown, recipe: (draft: unknown) => unknown) => unknown;
  return toJsonValue(run(base, recipe));
}
