import { CrdtError } from './CrdtError.js';
import { compareHlc, type HlcTimestamp } from './HlcTimestamp.js';
import { canonicalJson, compareStrings } from './jsonValue.js';
import { compareClocks, mergeClocks, type VectorClock } from './vectorClocks.js';

/** One version of a vector-clock register: a value, the clock it was written at, and by whom. */
export interface VclockVersion<T = unknown> {
  readonly value: T;
  /** Everything the writer had seen, plus this write. */
  readonly clock: VectorClock;
  readonly writer: string;
  /** Wall-clock order, used only to pick among concurrent versions deterministically. */
  readonly hlc: HlcTimestamp;
}

/**
 * A multi-value register: the versions no other version has superseded ("siblings"). More than
 * one sibling means concurrent writes that nobody has resolved yet.
 */
export interface VclockRegister<T = unknown> {
  /** Never empty; sorted oldest first by (hlc, writer, canonical content). */
  readonly siblings: readonly VclockVersion<T>[];
}

/** Resolves two concurrent values into one; see {@link resolveSiblings}. */
export type SiblingMerge<T> = (a: T, b: T) => T;

/**
 * The maximal versions among `versions`: duplicates removed, versions whose clock happened
 * before another's dropped, the rest in canonical order. Equal sets of inputs give structurally
 * equal outputs, which is what makes {@link mergeVclock} a semilattice join.
 */
export function maximalVersions<T>(versions: Iterable<VclockVersion<T>>): readonly VclockVersion<T>[] {
  const unique = new Map<string, VclockVersion<T>>();
  for (const version of versions) unique.set(versionKey(version), version);
  const entries = [...unique.entries()];
  const kept = entries.filter(
    ([, version]) => !entries.some(([, other]) => compareClocks(version.clock, other.clock) === 'before'),
  );
  kept.sort(
    ([keyA, a], [keyB, b]) =>
      compareHlc(a.hlc, b.hlc) || compareStrings(a.writer, b.writer) || compareStrings(keyA, keyB),
  );
  return Object.freeze(kept.map(([, version]) => version));
}

function versionKey(version: VclockVersion): string {
  return canonicalJson({ clock: version.clock, hlc: version.hlc, writer: version.writer, value: version.value });
}

/**
 * Merge two registers: keep every version that neither register has superseded. Commutative,
 * associative and idempotent; concurrent versions are kept side by side as siblings.
 */
export function mergeVclock<T>(a: VclockRegister<T>, b: VclockRegister<T>): VclockRegister<T> {
  return Object.freeze({ siblings: maximalVersions([...a.siblings, ...b.siblings]) });
}

/**
 * Collapse a register's siblings into one version. The value is `merge` folded over the
 * siblings oldest first, or by default the value of the newest sibling (greatest hlc, then
 * writer id: last-writer-wins among concurrent versions). The clock is the pointwise maximum of
 * all sibling clocks, so a write based on the result supersedes every sibling.
 *
 * @throws CrdtError `INVALID_ARGUMENT` when the register has no siblings.
 *
 * @example
 * ```ts
 * const merged = resolveSiblings(register, (a, b) => [...new Set([...a, ...b])]);
 * ```
 */
export function resolveSiblings<T>(register: VclockRegister<T>, merge?: SiblingMerge<T>): VclockVersion<T> {
  const siblings = maximalVersions(register.siblings);
  const newest = siblings[siblings.length - 1];
  if (newest === undefined) throw new CrdtError('INVALID_ARGUMENT', 'A vector-clock register has no siblings');
  if (siblings.length === 1) return newest;
  let value = newest.value;
  if (merge !== undefined) {
    value = siblings.map((s) => s.value).reduce((acc, next) => merge(acc, next));
  }
  const clock = siblings.reduce<VectorClock>((acc, s) => mergeClocks(acc, s.clock), {});
  return Object.freeze({ value, clock, writer: newest.writer, hlc: newest.hlc });
}
