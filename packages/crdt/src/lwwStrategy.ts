import { applyValueRecipe } from './applyValueRecipe.js';
import type { ConflictStrategy, WriteContext } from './ConflictStrategy.js';
import { expectStored } from './expectStored.js';
import { toJsonValue } from './jsonValue.js';
import { mergeLww } from './lwwRegister.js';
import { markChecked, parseStored } from './parseStored.js';
import { storedEquals } from './storedEquals.js';
import { assertWriteContext, stampWrite } from './stampWrite.js';
import type { LwwStored, StoredValue } from './StoredValue.js';

/**
 * Last-write-wins: the write with the greatest HLC stamp wins (ties broken by writer id, then
 * value), so every replica picks the same winner. A write is stamped after the stamps of the
 * value it was based on, so a writer whose wall clock lags still overwrites what it read.
 *
 * Input to `prepare`: the new value (JSON data), or an immer recipe applied to the current value.
 *
 * @example
 * ```ts
 * const s = lww<{ count: number }>();
 * const next = applyWrite(s, (d) => { d!.count += 1; }, { writer: 'agent-1', clock }, current);
 * s.read(next); // { count: 2 }
 * ```
 */
export function lww<T = unknown>(): ConflictStrategy<T> {
  const strategy: ConflictStrategy<T> = {
    name: 'lww',
    prepare(input: unknown, ctx: WriteContext, current: StoredValue | undefined): LwwStored {
      assertWriteContext(ctx);
      const base = expectStored('lww', ctx.base);
      const latest = expectStored('lww', current);
      const view = base ?? latest;
      const value =
        typeof input === 'function'
          ? applyValueRecipe(view?.value, input as (draft: unknown) => unknown)
          : toJsonValue(input);
      const hlc = stampWrite(ctx, [base?.hlc, latest?.hlc]);
      return markChecked(Object.freeze({ s: 'lww', value, hlc, writer: ctx.writer }));
    },
    merge(current: StoredValue, incoming: StoredValue): LwwStored {
      return mergeLww(expectStored('lww', current), expectStored('lww', incoming));
    },
    read(stored: StoredValue): T {
      return expectStored('lww', stored).value as T;
    },
    parse(raw: unknown): LwwStored {
      return expectStored('lww', parseStored(raw));
    },
    isConflict(current: StoredValue, incoming: StoredValue): boolean {
      return !storedEquals(strategy.merge(current, incoming), incoming);
    },
  };
  return Object.freeze(strategy);
}
