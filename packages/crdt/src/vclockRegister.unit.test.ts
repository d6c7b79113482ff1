import { canonicalJson } from './jsonValue.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maximalVersions, mergeVclock, resolveSiblings, type VclockRegister, type VclockVersion } from './vclockRegister.js';
import { compareClocks, type VectorClock } from './vectorClocks.js';

const hlc = (wall: number, node = 'n') => ({ wall, counter: 0, node });
const version = (value: unknown, clock: VectorClock, writer: string, wall: number): VclockVersion => ({
  value,
  clock,
  writer,
  hlc: hlc(wall, writer),
});

const versionArb: fc.Arbitrary<VclockVersion> = fc.record({
  value: fc.integer({ min: 0, max: 3 }),
  clock: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 2 })),
  writer: fc.constantFrom('a', 'b', 'c'),
  hlc: fc.record({ wall: fc.integer({ min: 0, max: 3 }), counter: fc.constant(0), node: fc.constantFrom('a', 'b') }),
});
const registerArb: fc.Arbitrary<VclockRegister> = fc
  .array(versionArb, { minLength: 1, maxLength: 4 })
  .map((versions) => ({ siblings: maximalVersions(versions) }));

describe('mergeVclock', () => {
  it('is commutative, associative and idempotent (structurally)', () => {
    fc.assert(
      fc.property(registerArb, registerArb, registerArb, (a, b, c) => {
        expect(mergeVclock(a, b)).toEqual(mergeVclock(b, a));
        expect(mergeVclock(mergeVclock(a, b), c)).toEqual(mergeVclock(a, mergeVclock(b, c)));
        expect(mergeVclock(a, a)).toEqual(a);
      }),
    );
  });

  it('keeps exactly the versions no other version supersedes', () => {
    fc.assert(
      fc.property(registerArb, registerArb, (a, b) => {
        const merged = mergeVclock(a, b).siblings;
        const all = [...a.siblings, ...b.siblings];
        for (const v of all) {
          const superseded = all.some((w) => compareClocks(v.clock, w.clock) === 'before');
          // Equal versions may differ in key order (JSON text); compare them canonically.
          const kept = merged.some((m) => m.clock === v.clock || canonicalJson(m) === canonicalJson(v));
          expect(kept).toBe(!superseded);
        }
        for (const m of merged) for (const n of merged) expect(compareClocks(m.clock, n.clock)).not.toBe('before');
      }),
    );
  });

  it('drops a dominated version and keeps concurrent ones', () => {
    const base = version('base', { a: 1 }, 'a', 1);
    const fromA = version('A', { a: 2 }, 'a', 2);
    const fromB = version('B', { a: 1, b: 1 }, 'b', 3);
    const merged = mergeVclock({ siblings: [base, fromA] }, { siblings: [fromB] });
    expect(merged.siblings.map((v) => v.value)).toEqual(['A', 'B']);
  });

  it('keeps two different writes that share one clock (same writer id, same base)', () => {
    const x = version('x', { a: 1 }, 'a', 1);
    const y = version('y', { a: 1 }, 'a', 2);
    expect(mergeVclock({ siblings: [x] }, { siblings: [y] }).siblings).toHaveLength(2);
  });
});

describe('resolveSiblings', () => {
  const older = version('older', { a: 1 }, 'a', 10);
  const newer = version('newer', { b: 1 }, 'b', 20);

  it('defaults to the sibling with the greatest hlc, clock = pointwise max', () => {
    const resolved = resolveSiblings({ siblings: [newer, older] });
    expect(resolved.value).toBe('newer');
    expect(resolved.clock).toEqual({ a: 1, b: 1 });
    expect(resolved.hlc).toEqual(newer.hlc);
  });

  it('breaks equal hlc walls by node, then writer id', () => {
    const p = version('p', { a: 1 }, 'a', 5);
    const q = version('q', { b: 1 }, 'b', 5);
    expect(resolveSiblings({ siblings: [q, p] }).value).toBe('q');
  });

  it('folds a user merge oldest first', () => {
    const resolved = resolveSiblings({ siblings: [newer, older] }, (a, b) => `${String(a)}+${String(b)}`);
    expect(resolved.value).toBe('older+newer');
  });

  it('returns a single sibling unchanged and rejects an empty register', () => {
    expect(resolveSiblings({ siblings: [older] })).toBe(older);
    expect(() => resolveSiblings({ siblings: [] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
