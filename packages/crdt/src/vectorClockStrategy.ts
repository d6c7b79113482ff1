import { applyValueRecipe } from './applyValueRecipe.js';
import type { ConflictStrategy, WriteContext } from './ConflictStrategy.js';
import { expectStored } from './expectStored.js';
import { maxHlc, type HlcTimestamp } from './HlcTimestamp.js';
import { toJsonValue, type JsonValue } from './jsonValue.js';
import { parseStored } from './parseStored.js';
import { storedEquals } from './storedEquals.js';
import { assertWriteContext, stampWrite } from './stampWrite.js';
import type { StoredValue, VclockStored } from './StoredValue.js';
import { mergeVclock, resolveSiblings, type SiblingMerge, type VclockRegister } from './vclockRegister.js';
import { increment, mergeClocks, type VectorClock } from './vectorClocks.js';

/** Options of {@link vectorClock}. */
export interface VectorClockOptions<T> {
  /**
   * What `read` does with concurrent versions. `'merge'` (default) resolves them into one value
   * with `merge`; `'siblings'` returns them all and leaves the choice to the application, whose
   * next write (based on what it read) supersedes them.
   */
  readonly onConcurrent?: 'merge' | 'siblings';
  /**
   * Resolves two concurrent values, folded over the siblings oldest first. Default: keep the
   * sibling with the greatest HLC stamp, then writer id (last-writer-wins among concurrent ones).
   */
  readonly merge?: SiblingMerge<T>;
}

/**
 * Vector clocks: a write supersedes exactly the versions its writer had seen; writes made
 * without seeing each other are concurrent and all kept as siblings, so nothing is silently
 * lost. `merge` keeps the maximal versions and is a true semilattice join in both modes: with
 * `onConcurrent: 'merge'` siblings are resolved when read (and collapsed by the next write,
 * whose clock is the pointwise maximum of theirs), never inside `merge`, which would make the
 * result depend on merge order.
 *
 * Input to `prepare`: the new value (JSON data), or an immer recipe applied to what `read`
 * returns for the base value.
 *
 * @example
 * ```ts
 * const tags = vectorClock<string[]>({ merge: (a, b) => [...new Set([...a, ...b])].sort() });
 * const manual = vectorClock<string>({ onConcurrent: 'siblings' }); // read() -> string[]
 * ```
 */
export function vectorClock<T = unknown>(
  options: VectorClockOptions<T> & { readonly onConcurrent: 'siblings' },
): ConflictStrategy<readonly T[]>;
export function vectorClock<T = unknown>(options?: VectorClockOptions<T>): ConflictStrategy<T>;
export function vectorClock<T = unknown>(options: VectorClockOptions<T> = {}): ConflictStrategy<T | readonly T[]> {
  const siblingsMode = options.onConcurrent === 'siblings';
  const read = (stored: StoredValue): T | readonly T[] => {
    const register = expectStored('vclock', stored);
    if (siblingsMode) return Object.freeze(register.siblings.map((v) => v.value as T));
    return resolveSiblings(register as VclockRegister<unknown> as VclockRegister<T>, options.merge).value;
  };
  const strategy: ConflictStrategy<T | readonly T[]> = {
    name: 'vclock',
    prepare(input: unknown, ctx: WriteContext, current: StoredValue | undefined): VclockStored {
      assertWriteContext(ctx);
      const base = expectStored('vclock', ctx.base);
      const latest = expectStored('vclock', current);
      const view = base ?? latest;
      const value: JsonValue =
        typeof input === 'function'
          ? applyValueRecipe(view === undefined ? undefined : read(view), input as (draft: unknown) => unknown)
          : toJsonValue(input);
      const seen = view === undefined ? {} : view.siblings.reduce<VectorClock>((acc, v) => mergeClocks(acc, v.clock), {});
      const clock = increment(seen, ctx.writer);
      const hlc = stampWrite(ctx, [newestStamp(base), newestStamp(latest)]);
      const version = Object.freeze({ value, clock, writer: ctx.writer, hlc });
      return Object.freeze({ s: 'vclock', siblings: Object.freeze([version]) });
    },
    merge(current: StoredValue, incoming: StoredValue): VclockStored {
      const merged = mergeVclock(expectStored('vclock', current), expectStored('vclock', incoming));
      return Object.freeze({ s: 'vclock', siblings: merged.siblings });
    },
    read,
    parse(raw: unknown): VclockStored {
      return expectStored('vclock', parseStored(raw));
    },
    isConflict(current: StoredValue, incoming: StoredValue): boolean {
      return !storedEquals(strategy.merge(current, incoming), incoming);
    },
  };
  return Object.freeze(strategy);
}

function newestStamp(stored: VclockStored | undefined): HlcTimestamp | undefined {
  return stored?.siblings.map((v) => v.hlc).reduce(maxHlc);
}
