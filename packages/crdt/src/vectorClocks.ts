import { CrdtError } from './CrdtError.js';
import { isPlainObject } from './jsonValue.js';

/**
 * A vector clock: per writer, how many of its writes the holder has seen. A missing entry
 * means 0. Clocks built by this package have sorted keys and no zero entries, so equal clocks
 * are structurally equal.
 */
export type VectorClock = Readonly<Record<string, number>>;

/** How two vector clocks relate: `a` happened before `b`, after it, equals it, or neither. */
export type ClockOrder = 'before' | 'after' | 'equal' | 'concurrent';

/** Whether `value` is a vector clock: a plain object of non-negative safe integers with non-empty keys. */
export function isVectorClock(value: unknown): value is VectorClock {
  if (!isPlainObject(value)) return false;
  return Object.entries(value).every(
    ([node, count]) => node.length > 0 && Number.isSafeInteger(count) && (count as number) >= 0,
  );
}

/** A copy of `clock` with sorted keys and zero entries dropped, frozen. */
export function normalizeClock(clock: VectorClock): VectorClock {
  const out: Record<string, number> = {};
  for (const node of Object.keys(clock).sort()) {
    const count = clock[node];
    if (count !== undefined && count > 0) out[node] = count;
  }
  return Object.freeze(out);
}

/**
 * Record one more write by `node`.
 *
 * @example
 * ```ts
 * increment({ a: 2 }, 'b'); // { a: 2, b: 1 }
 * ```
 */
export function increment(clock: VectorClock, node: string): VectorClock {
  if (typeof node !== 'string' || node.length === 0) {
    throw new CrdtError('INVALID_ARGUMENT', 'A vector clock entry needs a non-empty node id');
  }
  const next = (clock[node] ?? 0) + 1;
  if (!Number.isSafeInteger(next)) {
    throw new CrdtError('INVALID_ARGUMENT', `Vector clock entry ${node} overflowed`, { details: { node } });
  }
  return normalizeClock({ ...clock, [node]: next });
}

/** Pointwise maximum of two clocks: the least clock that has seen everything either has seen. */
export function mergeClocks(a: VectorClock, b: VectorClock): VectorClock {
  const out: Record<string, number> = { ...a };
  for (const [node, count] of Object.entries(b)) out[node] = Math.max(out[node] ?? 0, count);
  return normalizeClock(out);
}

/**
 * Compare two clocks under the happened-before partial order.
 *
 * @example
 * ```ts
 * compareClocks({ a: 1 }, { a: 1, b: 1 }); // 'before'
 * compareClocks({ a: 2 }, { b: 1 });       // 'concurrent'
 * ```
 */
export function compareClocks(a: VectorClock, b: VectorClock): ClockOrder {
  let aAhead = false;
  let bAhead = false;
  for (const node of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const left = a[node] ?? 0;
    const right = b[node] ?? 0;
    if (left > right) aAhead = true;
    else if (right > left) bAhead = true;
    if (aAhead && bAhead) return 'concurrent';
  }
  if (aAhead) return 'after';
  return bAhead ? 'before' : 'equal';
}
