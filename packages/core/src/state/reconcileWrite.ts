import { CrdtError, describeOutcome, parseStored, type ConflictStrategy, type MergeOutcome, type StoredValue, type WriteContext } from '@mister-smith/crdt';
import type { VersionedValue } from './VersionedValue.js';

/**
 * The strategy's stored form of a versioned value, or undefined for a missing or deleted key.
 * A plain value (an SQL edit, or a key whose strategy changed) is adopted as the base.
 */
export function storedFormOf(strategy: ConflictStrategy, entry: VersionedValue | undefined, ctx: WriteContext): StoredValue | undefined {
  if (!entry || entry.tombstone) return undefined;
  if (entry.stored !== null && entry.stored !== undefined) {
    try {
      const s = parseStored(entry.stored);
      if (s.s === strategy.name) return s;
    } catch (e) {
      if (!CrdtError.is(e)) throw e;
    }
  }
  return strategy.prepare(entry.value, ctx, undefined);
}

/**
 * What is being written: a delete, a new value or recipe, or (after losing an append race) the
 * stored form already prepared in an earlier round, to be merged into what won the race.
 */
export type IncomingWrite =
  | { readonly op: 'delete' }
  | { readonly op: 'put'; readonly input: unknown; readonly prepared?: StoredValue | undefined };

/** Input of {@link reconcileWrite}. */
export interface ReconcileInput {
  readonly strategy: ConflictStrategy;
  /** Writer and clock; `prepare` stamps the write with them. */
  readonly ctx: WriteContext;
  /** What the key holds now (the newest version this writer knows), if anything. */
  readonly current: VersionedValue | undefined;
  /** The stored form of the version a command was made against, when the key has moved on since. */
  readonly base?: StoredValue | undefined;
  readonly incoming: IncomingWrite;
}

/** The value to append, and how the strategy resolved a conflict, if there was one. */
export interface Reconciled {
  /** The stored form to append; null for a delete. */
  readonly next: StoredValue | null;
  /** Set when the strategy resolved a conflict (the result is not simply the incoming write). */
  readonly conflict?: Exclude<MergeOutcome, 'took-incoming' | 'unchanged'>;
}

function conflictOf(outcome: MergeOutcome): Reconciled['conflict'] {
  return outcome === 'took-incoming' || outcome === 'unchanged' ? undefined : outcome;
}

/**
 * The state store's one decision about a write: (current, base, incoming) -> the next stored value
 * under the key's strategy, with the conflict outcome. Pure apart from the writer's clock, which
 * `prepare` advances.
 *
 * - A new write is prepared on top of `base ?? current` and merged into `current` (a conflict is
 *   reported only when a base was given: a write made against the current value has none).
 * - After a lost append race (`incoming.prepared` set), an LWW recipe is applied again to the
 *   newer value (read-modify-write); anything else merges the prepared value into it, so a write
 *   is never re-stamped and a concurrent one never silently dropped.
 */
export function reconcileWrite(input: ReconcileInput): Reconciled {
  const { strategy, current, base, incoming } = input;
  if (incoming.op === 'delete') return { next: null };
  const ctx: WriteContext = base ? { ...input.ctx, base } : input.ctx;
  const cur = storedFormOf(strategy, current, input.ctx);
  const rerun = incoming.prepared === undefined || (typeof incoming.input === 'function' && strategy.name === 'lww');
  if (rerun) {
    const prepared = strategy.prepare(incoming.input, ctx, cur);
    if (!cur) return { next: prepared };
    const next = strategy.merge(cur, prepared);
    if (!base || incoming.prepared !== undefined) return { next };
    const conflict = conflictOf(describeOutcome(cur, prepared, next));
    return conflict ? { next, conflict } : { next };
  }
  const prepared = incoming.prepared!;
  if (!cur) return { next: prepared };
  const next = strategy.merge(cur, prepared);
  const conflict = conflictOf(describeOutcome(cur, prepared, next));
  return conflict ? { next, conflict } : { next };
}
