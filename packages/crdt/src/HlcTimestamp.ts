import { compareStrings } from './jsonValue.js';

/**
 * A hybrid logical clock reading: wall-clock milliseconds, a logical counter that orders
 * events within one millisecond (or while the wall clock stands still or steps back), and the
 * id of the node that produced it.
 */
export interface HlcTimestamp {
  /** Milliseconds since the Unix epoch, never decreasing on one clock. */
  readonly wall: number;
  /** Logical counter within `wall`, from 0 to {@link HLC_MAX_COUNTER}. */
  readonly counter: number;
  /** Id of the clock that produced the reading; breaks ties so the order is total. */
  readonly node: string;
}

/** Largest counter value; a clock that would exceed it advances `wall` by one millisecond instead. */
export const HLC_MAX_COUNTER = 0xffff_ffff;

/**
 * Total order on timestamps: by `wall`, then `counter`, then `node` (UTF-16 code unit order).
 * Returns a negative number, zero or a positive number like `Array.prototype.sort` expects.
 *
 * @example
 * ```ts
 * stamps.sort(compareHlc); // oldest first
 * ```
 */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return compareStrings(a.node, b.node);
}

/** Whether `value` has the shape of a valid {@link HlcTimestamp}. */
export function isHlcTimestamp(value: unknown): value is HlcTimestamp {
  if (typeof value !== 'object' || value === null) return false;
  const { wall, counter, node } = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(wall) &&
    (wall as number) >= 0 &&
    Number.isSafeInteger(counter) &&
    (counter as number) >= 0 &&
    (counter as number) <= HLC_MAX_COUNTER &&
    typeof node === 'string' &&
    node.length > 0
  );
}

/** The larger of two timestamps under {@link compareHlc}. */
export function maxHlc(a: HlcTimestamp, b: HlcTimestamp): HlcTimestamp {
  return compareHlc(a, b) >= 0 ? a : b;
}
