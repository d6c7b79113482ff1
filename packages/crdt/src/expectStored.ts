import { CrdtError } from './CrdtError.js';
import type { StoredValue, StrategyName } from './StoredValue.js';

type Tagged<N extends StrategyName> = Extract<StoredValue, { s: N }>;

/**
 * Narrow `value` to the stored form of strategy `name`, or fail with `STRATEGY_MISMATCH`
 * (a stored value of another strategy) or `CORRUPT_ENTRY` (not a stored value at all).
 */
export function expectStored<N extends StrategyName>(name: N, value: StoredValue): Tagged<N>;
export function expectStored<N extends StrategyName>(name: N, value: StoredValue | undefined): Tagged<N> | undefined;
export function expectStored<N extends StrategyName>(name: N, value: StoredValue | undefined): Tagged<N> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as { s?: unknown }).s !== 'string') {
    throw new CrdtError('CORRUPT_ENTRY', 'Not a stored value', { details: { expected: name } });
  }
  if (value.s !== name) {
    throw new CrdtError('STRATEGY_MISMATCH', `Expected a '${name}' value, got '${value.s}'`, {
      details: { expected: name, actual: value.s },
    });
  }
  return value as Tagged<N>;
}
