import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareClocks, increment, isVectorClock, mergeClocks, normalizeClock, type VectorClock } from './vectorClocks.js';

const clockArb: fc.Arbitrary<VectorClock> = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 2 }));
const leq = (a: VectorClock, b: VectorClock): boolean => ['before', 'equal'].includes(compareClocks(a, b));

/** Oracle straight from the definition, to check the implementation against. */
function pointwise(a: VectorClock, b: VectorClock): string {
  const nodes = new Set([...Object.keys(a), ...Object.keys(b)]);
  const le = [...nodes].every((n) => (a[n] ?? 0) <= (b[n] ?? 0));
  const ge = [...nodes].every((n) => (a[n] ?? 0) >= (b[n] ?? 0));
  return le && ge ? 'equal' : le ? 'before' : ge ? 'after' : 'concurrent';
}

describe('compareClocks', () => {
  it('agrees with the pointwise definition', () => {
    fc.assert(fc.property(clockArb, clockArb, (a, b) => {
        expect(compareClocks(a, b)).toBe(pointwise(a, b));
      }),
    );
  });

  it('is reflexive', () => {
    fc.assert(
      fc.property(clockArb, (a) => {
        expect(compareClocks(a, a)).toBe('equal');
      }),
    );
  });

  it('is antisymmetric', () => {
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        if (leq(a, b) && leq(b, a)) expect(normalizeClock(a)).toEqual(normalizeClock(b));
        const flipped = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;
        expect(compareClocks(b, a)).toBe(flipped[compareClocks(a, b)]);
      }),
    );
  });

  it('is transitive (random triples and built chains)', () => {
    fc.assert(
      fc.property(clockArb, clockArb, clockArb, (a, b, c) => {
        if (leq(a, b) && leq(b, c)) expect(leq(a, c)).toBe(true);
        const b2 = mergeClocks(a, b);
        const c2 = mergeClocks(b2, c);
        expect(leq(a, b2) && leq(b2, c2) && leq(a, c2)).toBe(true);
      }),
    );
  });

  it('treats missing entries as zero', () => {
    expect(compareClocks({ a: 0 }, {})).toBe('equal');
    expect(compareClocks({ a: 1 }, { a: 1, b: 1 })).toBe('before');
    expect(compareClocks({ a: 2 }, { b: 1 })).toBe('concurrent');
  });
});

describe('mergeClocks', () => {
  it('is the least upper bound: above both inputs, commutative, associative, idempotent', () => {
    fc.assert(
      fc.property(clockArb, clockArb, clockArb, (a, b, c) => {
        const ab = mergeClocks(a, b);
        expect(leq(a, ab) && leq(b, ab)).toBe(true);
        expect(ab).toEqual(mergeClocks(b, a));
        expect(mergeClocks(ab, c)).toEqual(mergeClocks(a, mergeClocks(b, c)));
        expect(mergeClocks(a, a)).toEqual(normalizeClock(a));
        // least: any clock above both is above the merge
        const upper = mergeClocks(ab, c);
        expect(leq(ab, upper)).toBe(true);
      }),
    );
  });

  it('returns sorted keys without zero entries', () => {
    expect(Object.keys(mergeClocks({ c: 1, a: 0 }, { b: 2 }))).toEqual(['b', 'c']);
  });
});

describe('increment', () => {
  it('produces a clock strictly after its input', () => {
    fc.assert(
      fc.property(clockArb, fc.constantFrom('a', 'x'), (a, node) => {
        expect(compareClocks(increment(a, node), a)).toBe('after');
      }),
    );
  });

  it('does not mutate its input and rejects empty nodes', () => {
    const clock = Object.freeze({ a: 1 });
    expect(increment(clock, 'a')).toEqual({ a: 2 });
    expect(clock).toEqual({ a: 1 });
    expect(() => increment(clock, '')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('isVectorClock', () => {
  it('accepts counters and rejects everything else', () => {
    expect(isVectorClock({ a: 1, b: 0 })).toBe(true);
    expect(isVectorClock({})).toBe(true);
    for (const bad of [null, [], { a: -1 }, { a: 1.5 }, { a: '1' }, { '': 1 }, 'x']) expect(isVectorClock(bad)).toBe(false);
  });
});
