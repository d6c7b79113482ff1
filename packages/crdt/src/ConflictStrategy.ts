import type { HlcTimestamp } from './HlcTimestamp.js';
import type { HybridLogicalClock } from './HybridLogicalClock.js';
import type { StoredValue, StrategyName } from './StoredValue.js';

/** Who is writing, with which clock, and what they based the write on. */
export interface WriteContext {
  /** Id of the writing agent, process or client: the vector clock entry and LWW tie-breaker. */
  readonly writer: string;
  /** The writer's clock; `prepare` stamps the write with it. */
  readonly clock: HybridLogicalClock;
  /**
   * The value the writer read before making this write (e.g. the base version a command
   * carries). Writes are applied on top of it; concurrent values are then reconciled by
   * `merge`. Default: the `current` value passed to `prepare`.
   */
  readonly base?: StoredValue;
  /**
   * When the write was made, if it was stamped elsewhere (e.g. an HLC carried in a command).
   * The clock observes it; LWW then orders the write by it. Default: a fresh stamp from `clock`
   * after observing the stamps of `base` and `current`.
   */
  readonly at?: HlcTimestamp;
}

/**
 * How concurrent writes to one key are reconciled. Every built-in strategy
 * ({@link lww}, {@link vectorClock}, {@link automerge}) implements it, and the state store uses
 * it around KV compare-and-set: `prepare` a write, `merge` it into whatever it lost a race
 * to, store the result.
 *
 * @typeParam TValue - what `read` returns to users.
 */
export interface ConflictStrategy<TValue = unknown> {
  readonly name: StrategyName;
  /**
   * Build the stored form of a new user write on top of `ctx.base ?? current`. `input` is the
   * new value, or a recipe `(draft) => void | value` applied to the current value (immer for
   * `lww`/`vclock`, an Automerge draft for `crdt`). For `crdt` it may also be an Automerge
   * document or its saved bytes, merged in. The result does not include concurrent values the
   * writer did not see: store `merge(current, prepared)` (see {@link applyWrite}).
   */
  prepare(input: unknown, ctx: WriteContext, current: StoredValue | undefined): StoredValue;
  /** Reconcile two stored values. Pure, commutative, associative and idempotent. */
  merge(current: StoredValue, incoming: StoredValue): StoredValue;
  /** The user-visible value: no stamps, clocks or binaries. */
  read(stored: StoredValue): TValue;
  /**
   * Validate untrusted data (parsed JSON) as this strategy's stored form and return it in
   * canonical form. Throws `CrdtError` `CORRUPT_ENTRY`, or `STRATEGY_MISMATCH` for a valid
   * value of another strategy.
   */
  parse(raw: unknown): StoredValue;
  /** Whether merging `incoming` into `current` resolved a conflict (the result is not `incoming`). */
  isConflict?(current: StoredValue, incoming: StoredValue): boolean;
}
