import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, toJsonValue } from './jsonValue.js';

describe('toJsonValue', () => {
  it('copies and deep-freezes JSON data unchanged', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = toJsonValue(value);
        expect(copy).toEqual(JSON.parse(JSON.stringify(value)));
        if (typeof copy === 'object' && copy !== null) expect(Object.isFrozen(copy)).toBe(true);
      }),
    );
  });

  it('refuses what JSON would drop or change, naming the path', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const cases: Array<[unknown, string]> = [
      [undefined, '$'],
      [{ a: undefined }, '$.a'],
      [[1, () => 1], '$[1]'],
      [{ n: Number.POSITIVE_INFINITY }, '$.n'],
      [{ d: new Date(0) }, '$.d'],
      [{ m: new Map() }, '$.m'],
      [1n, '$'],
      [cyclic, '$.self'],
    ];
    for (const [value, path] of cases) {
      expect(() => toJsonValue(value)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { path } }));
    }
  });

  it('accepts shared (non-cyclic) references', () => {
    const shared = { x: 1 };
    expect(toJsonValue({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });
});

describe('canonicalJson', () => {
  it('ignores key order and distinguishes different values', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(canonicalJson({ a: [1, { c: 3, d: 2 }], b: 1 }));
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const sameJson = JSON.stringify(JSON.parse(canonicalJson(a))) === JSON.stringify(JSON.parse(canonicalJson(b)));
        expect(canonicalJson(a) === canonicalJson(b)).toBe(sameJson);
      }),
    );
  });
});
