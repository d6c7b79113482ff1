import { describe, expect, it } from 'vitest';
import { describeOutcome } from './describeOutcome.js';
import { HybridLogicalClock } from './HybridLogicalClock.js';
import { lww } from './lwwStrategy.js';
import { vectorClock } from './vectorClockStrategy.js';

describe('describeOutcome', () => {
  const clock = new HybridLogicalClock('n', () => 1);

  it('classifies LWW merges', () => {
    const s = lww();
    const older = s.prepare('old', { writer: 'a', clock }, undefined);
    const newer = s.prepare('new', { writer: 'b', clock }, older);
    expect(describeOutcome(older, newer, s.merge(older, newer))).toBe('took-incoming');
    expect(describeOutcome(newer, older, s.merge(newer, older))).toBe('kept-current');
    expect(describeOutcome(newer, newer, s.merge(newer, newer))).toBe('unchanged');
  });

  it('reports kept siblings for concurrent vector-clock writes', () => {
    const s = vectorClock();
    const base = s.prepare(0, { writer: 'a', clock }, undefined);
    const x = s.prepare(1, { writer: 'a', clock }, base);
    const y = s.prepare(2, { writer: 'b', clock }, base);
    expect(describeOutcome(x, y, s.merge(x, y))).toBe('siblings');
  });

  it('refuses values of different strategies', () => {
    const a = lww().prepare(1, { writer: 'a', clock }, undefined);
    const b = vectorClock().prepare(1, { writer: 'a', clock }, undefined);
    expect(() => describeOutcome(a, b, b)).toThrow(expect.objectContaining({ code: 'STRATEGY_MISMATCH' }));
  });
});
