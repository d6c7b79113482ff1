import { compareHlc, type HlcTimestamp } from './HlcTimestamp.js';
import { canonicalJson, compareStrings } from './jsonValue.js';

/** A last-write-wins register: a value, when it was written, and by whom. */
export interface LwwRegister<T = unknown> {
  readonly value: T;
  /** When the value was written; the larger stamp wins. */
  readonly hlc: HlcTimestamp;
  /** Who wrote it (an agent, process or client id); breaks ties between equal stamps. */
  readonly writer: string;
}

/**
 * Total order on registers: by `hlc` ({@link compareHlc}), then `writer`, then the canonical
 * JSON of `value`. Two registers compare equal only when they are structurally equal.
 */
export function compareLww(a: LwwRegister, b: LwwRegister): number {
  return (
    compareHlc(a.hlc, b.hlc) ||
    compareStrings(a.writer, b.writer) ||
    compareStrings(canonicalJson(a.value), canonicalJson(b.value))
  );
}

/**
 * Merge two registers: the later write wins. Deterministic even on equal stamps, so the merge
 * is commutative, associative and idempotent.
 *
 * @example
 * ```ts
 * mergeLww(
 *   { value: 'a', hlc: { wall: 1, counter: 0, node: 'n1' }, writer: 'w1' },
 *   { value: 'b', hlc: { wall: 2, counter: 0, node: 'n2' }, writer: 'w2' },
 * ).value; // 'b'
 * ```
 */
export function mergeLww<R extends LwwRegister<unknown>>(a: R, b: R): R {
  return compareLww(a, b) >= 0 ? a : b;
}
