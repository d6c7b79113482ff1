import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertKvKey } from '@mister-smith/core';
import { MAX_PLAIN_TOKEN, decodeToken, encodeToken } from './encodeToken.js';

// Any code point, lone surrogates included (fc's 'binary' unit is slow to generate).
const anyChar = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));

describe('encodeToken', () => {
  it('is injective: decoding a plain token gives the id back, distinct ids give distinct tokens', () => {
    // Lone surrogates are not UTF-8: ids are compared as the UTF-8 they are stored as.
    const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('utf8');
    fc.assert(fc.property(fc.string({ unit: anyChar, maxLength: 30 }), fc.string({ unit: anyChar, maxLength: 30 }), (a, b) => {
      const ta = encodeToken(a);
      const decodes = !ta.startsWith('x') || decodeToken(ta) === utf8(a);
      const distinct = utf8(a) === utf8(b) || encodeToken(b) !== ta;
      return decodes && distinct;
    }), { numRuns: 500 });
  });

  it('yields a valid NATS subject token and KV key segment for any string, long ids hashed (never truncated)', () => {
    fc.assert(fc.property(fc.string({ unit: anyChar, maxLength: 400 }), (s) => {
      const t = encodeToken(s);
      expect(t.length).toBeLessThanOrEqual(MAX_PLAIN_TOKEN + 3);
      expect(assertKvKey(`c.${t}.${t}`)).toBeTruthy();
    }), { numRuns: 300 });
    expect(encodeToken('x'.repeat(500))).not.toBe(encodeToken('x'.repeat(501)));
    expect(encodeToken('')).toBe('x');
    expect(encodeToken('a.b')).toBe('xa_2Eb');
  });
});
