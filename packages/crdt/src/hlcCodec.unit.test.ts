import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HLC_MAX_COUNTER, compareHlc, type HlcTimestamp } from './HlcTimestamp.js';
import { decodeHlc, encodeHlc } from './hlcCodec.js';

const hlcArb: fc.Arbitrary<HlcTimestamp> = fc.record({
  wall: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.maxSafeNat()),
  counter: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: HLC_MAX_COUNTER })),
  node: fc.string({ minLength: 1, maxLength: 8, unit: 'binary' }),
});

describe('encodeHlc / decodeHlc', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(hlcArb, (ts) => {
        expect(decodeHlc(encodeHlc(ts))).toEqual(ts);
      }),
    );
  });

  it('sorts lexicographically in compareHlc order', () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, (a, b) => {
        const ea = encodeHlc(a);
        const eb = encodeHlc(b);
        const lexical = ea < eb ? -1 : ea > eb ? 1 : 0;
        expect(lexical).toBe(Math.sign(compareHlc(a, b)));
      }),
    );
  });

  it('has a fixed-width, zero-padded layout', () => {
    expect(encodeHlc({ wall: 1000, counter: 6, node: 'n1' })).toBe('000000000003e8-00000006-n1');
  });

  it('rejects malformed text with CORRUPT_ENTRY', () => {
    for (const bad of ['', 'abc', '000000000003e8-00000006-', '000000000003E8-00000006-n', '3e8-6-n']) {
      expect(() => decodeHlc(bad)).toThrow(expect.objectContaining({ code: 'CORRUPT_ENTRY' }));
    }
  });

  it('refuses to encode invalid stamps', () => {
    expect(() => encodeHlc({ wall: 1.5, counter: 0, node: 'n' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
