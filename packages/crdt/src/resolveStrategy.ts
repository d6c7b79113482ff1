import type { ConflictStrategy } from './ConflictStrategy.js';
import { CrdtError } from './CrdtError.js';
import type { StrategyName } from './StoredValue.js';
import { isConflictStrategy, strategyFor } from './strategyFor.js';

/** A strategy by name (default options) or a configured instance. */
export type StrategyChoice = StrategyName | ConflictStrategy;

/**
 * Which strategy each state key uses, e.g. per agent type. `keys` maps an exact key, or a
 * prefix ending in `*` (`'notes.*'`, `'*'`), to a strategy. An exact key wins over prefixes,
 * the longest prefix wins over shorter ones, and `default` (itself defaulting to `'lww'`)
 * applies when nothing matches.
 *
 * @example
 * ```ts
 * const spec: StrategySpec = {
 *   default: 'lww',
 *   keys: { plan: automerge({ initial: { steps: [] } }), 'tags*': 'vclock' },
 * };
 * ```
 */
export interface StrategySpec {
  readonly default?: StrategyChoice;
  readonly keys?: Readonly<Record<string, StrategyChoice>>;
}

/**
 * Check a spec up front (at configuration load) rather than at the first write: patterns may
 * only end in `*`, and every choice must name or be a strategy.
 *
 * @throws CrdtError `INVALID_ARGUMENT` naming the offending pattern.
 */
export function validateStrategySpec(spec: StrategySpec): void {
  if (spec.default !== undefined) toStrategy(spec.default, 'default');
  for (const [pattern, choice] of Object.entries(spec.keys ?? {})) {
    if (pattern.length === 0 || pattern.slice(0, -1).includes('*')) {
      throw new CrdtError('INVALID_ARGUMENT', `Key pattern '${pattern}' may only have '*' at its end`, {
        details: { pattern },
      });
    }
    toStrategy(choice, pattern);
  }
}

/**
 * The strategy for state key `key` under `spec` (see {@link StrategySpec} for precedence).
 * Without a spec every key uses `lww`.
 */
export function resolveStrategy(spec: StrategySpec | undefined, key: string): ConflictStrategy {
  const keys = spec?.keys ?? {};
  if (Object.hasOwn(keys, key) && !key.endsWith('*')) return toStrategy(keys[key], key);
  let best: string | undefined;
  for (const pattern of Object.keys(keys)) {
    if (!pattern.endsWith('*')) continue;
    const prefix = pattern.slice(0, -1);
    if (key.startsWith(prefix) && (best === undefined || prefix.length > best.length - 1)) best = pattern;
  }
  if (best !== undefined) return toStrategy(keys[best], best);
  return toStrategy(spec?.default ?? 'lww', 'default');
}

function toStrategy(choice: StrategyChoice | undefined, where: string): ConflictStrategy {
  if (typeof choice === 'string') return strategyFor(choice);
  if (isConflictStrategy(choice)) return choice;
  throw new CrdtError('INVALID_ARGUMENT', `Strategy for '${where}' is neither a strategy name nor a strategy`, {
    details: { where },
  });
}
