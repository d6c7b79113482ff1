import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HlcTimestamp } from './HlcTimestamp.js';
import { compareLww, mergeLww, type LwwRegister } from './lwwRegister.js';

const hlcArb: fc.Arbitrary<HlcTimestamp> = fc.record({
  wall: fc.integer({ min: 0, max: 3 }),
  counter: fc.integer({ min: 0, max: 2 }),
  node: fc.constantFrom('n1', 'n2'),
});
// Small domains so equal stamps (the tie-break paths) are frequent.
const registerArb: fc.Arbitrary<LwwRegister<unknown>> = fc.record({
  value: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constantFrom('x', 'y'), fc.constant({ b: 1, a: [1] })),
  hlc: hlcArb,
  writer: fc.constantFrom('w1', 'w2'),
});

describe('mergeLww', () => {
  it('is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(registerArb, registerArb, registerArb, (a, b, c) => {
        expect(mergeLww(a, b)).toEqual(mergeLww(b, a));
        expect(mergeLww(mergeLww(a, b), c)).toEqual(mergeLww(a, mergeLww(b, c)));
        expect(mergeLww(a, a)).toBe(a);
      }),
    );
  });

  it('returns the input with the greatest stamp', () => {
    fc.assert(
      fc.property(registerArb, registerArb, (a, b) => {
        const winner = mergeLww(a, b);
        expect(compareLww(winner, a)).toBeGreaterThanOrEqual(0);
        expect(compareLww(winner, b)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('breaks equal stamps by writer, then by value', () => {
    const hlc = { wall: 5, counter: 0, node: 'n' };
    expect(mergeLww({ value: 1, hlc, writer: 'a' }, { value: 0, hlc, writer: 'b' }).writer).toBe('b');
    expect(mergeLww({ value: 'y', hlc, writer: 'a' }, { value: 'x', hlc, writer: 'a' }).value).toBe('y');
  });

  it('lets a later stamp win regardless of argument order', () => {
    const older = { value: 'old', hlc: { wall: 1, counter: 0, node: 'z' }, writer: 'z' };
    const newer = { value: 'new', hlc: { wall: 1, counter: 1, node: 'a' }, writer: 'a' };
    expect(mergeLww(older, newer).value).toBe('new');
    expect(mergeLww(newer, older).value).toBe('new');
  });
});
