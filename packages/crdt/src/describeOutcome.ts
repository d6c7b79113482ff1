import { CrdtError } from './CrdtError.js';
import type { StoredValue } from './StoredValue.js';
import { storedEquals } from './storedEquals.js';

/**
 * How a merge turned out, for conflict logs and metrics:
 * - `unchanged`: both sides were already the same state;
 * - `took-incoming`: the incoming value superseded the current one (no conflict);
 * - `kept-current`: the incoming value lost (LWW: older stamp; vclock/crdt: already contained);
 * - `merged`: the result combines both (Automerge merge);
 * - `siblings`: concurrent vector-clock versions are kept side by side (resolved on read in
 *   `onConcurrent: 'merge'` mode, returned as a list in `'siblings'` mode).
 */
export type MergeOutcome = 'unchanged' | 'took-incoming' | 'kept-current' | 'merged' | 'siblings';

/**
 * Classify `merged = strategy.merge(current, incoming)`.
 *
 * @throws CrdtError `STRATEGY_MISMATCH` when the three values belong to different strategies.
 *
 * @example
 * ```ts
 * const merged = strategy.merge(current, incoming);
 * const outcome = describeOutcome(current, incoming, merged);
 * if (outcome !== 'took-incoming' && outcome !== 'unchanged') log.info({ key, outcome }, 'conflict resolved');
 * ```
 */
export function describeOutcome(current: StoredValue, incoming: StoredValue, merged: StoredValue): MergeOutcome {
  if (current.s !== incoming.s || incoming.s !== merged.s) {
    throw new CrdtError('STRATEGY_MISMATCH', 'Cannot compare values of different strategies', {
      details: { current: current.s, incoming: incoming.s, merged: merged.s },
    });
  }
  if (storedEquals(current, incoming)) return 'unchanged';
  if (storedEquals(merged, incoming)) return 'took-incoming';
  if (storedEquals(merged, current)) return 'kept-current';
  return merged.s === 'vclock' && merged.siblings.length > 1 ? 'siblings' : 'merged';
}
