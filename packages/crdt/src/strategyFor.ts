import { automerge } from './automergeStrategy.js';
import type { ConflictStrategy } from './ConflictStrategy.js';
import { CrdtError } from './CrdtError.js';
import { lww } from './lwwStrategy.js';
import type { StrategyName } from './StoredValue.js';
import { vectorClock } from './vectorClockStrategy.js';

const defaults: Readonly<Record<StrategyName, ConflictStrategy>> = Object.freeze({
  lww: lww(),
  vclock: vectorClock(),
  crdt: automerge(),
});

/**
 * The built-in strategy of a name with default options: `lww`, `vclock` (concurrent versions
 * resolved by last-writer-wins on read) or `crdt` (Automerge, no initial content). Each name
 * always returns the same frozen instance.
 *
 * @throws CrdtError `INVALID_ARGUMENT` for an unknown name.
 */
export function strategyFor(name: StrategyName): ConflictStrategy {
  if (typeof name === 'string' && Object.hasOwn(defaults, name)) return defaults[name];
  throw new CrdtError('INVALID_ARGUMENT', `Unknown conflict strategy '${String(name)}'`, {
    details: { name, known: Object.keys(defaults) },
  });
}

/** Whether `value` looks like a {@link ConflictStrategy} (a name and the four required methods). */
export function isConflictStrategy(value: unknown): value is ConflictStrategy {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s['name'] === 'string' &&
    Object.hasOwn(defaults, s['name']) &&
    ['prepare', 'merge', 'read', 'parse'].every((method) => typeof s[method] === 'function')
  );
}
