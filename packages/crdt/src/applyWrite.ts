import type { ConflictStrategy, WriteContext } from './ConflictStrategy.js';
import type { StoredValue } from './StoredValue.js';

/**
 * The value to store after a write: `strategy.prepare(input, ctx, current)` merged with
 * `current`, so that values the writer did not see (when `ctx.base` is older than `current`)
 * are reconciled rather than overwritten.
 *
 * Around a KV compare-and-set, call this once for a plain value, then on every lost race merge
 * the result into the newer entry: `next = strategy.merge(latest, next)`. Preparing the value
 * again would turn it into a write made after seeing `latest`, and under `vclock` it would
 * supersede `latest` instead of standing beside it. A recipe input does read the value, so
 * re-running `applyWrite` against `latest` is correct for it (and needed under `lww`, where
 * merging would drop one of two concurrent increments).
 *
 * @example
 * ```ts
 * let next = applyWrite(strategy, input, { writer, clock }, current);
 * while (!(await kv.compareAndSet(key, encodeStored(next), revision))) {
 *   ({ current, revision } = await readEntry(key));
 *   if (current !== undefined) next = strategy.merge(current, next);
 * }
 * ```
 */
export function applyWrite(
  strategy: ConflictStrategy<unknown>,
  input: unknown,
  ctx: WriteContext,
  current: StoredValue | undefined,
): StoredValue {
  const prepared = strategy.prepare(input, ctx, current);
  return current === undefined ? prepared : strategy.merge(current, prepared);
}
