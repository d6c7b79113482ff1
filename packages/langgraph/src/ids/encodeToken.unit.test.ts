import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertKvKey } from '@mister-smith/core';
import { MAX_PLAIN_TOKEN, decodeToken, encodeToken } from './encodeToken.js';

describe('encodeToken', () => {
  it('is injective: decoding a plain token gives the id back, distinct ids give distinct tokens', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
      const ta = encodeToken(a);
      if (ta.startsWith('x')) expect(decodeToken(ta)).toBe(Buffer.from(a, 'utf8').toString('utf8'));
      if (a !== b && Buffer.from(a, 'utf8').toString('utf8') !== Buffer.from(b, 'utf8').toString('utf8')) expect(encodeToken(b)).not.toBe(ta);
    }), { numRuns: 300 });
  });

  it('yields a valid NATS subject token and KV key segment for any string, long ids hashed (never truncated)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
      const t = encodeToken(s);
      expect(t.length).toBeLessThanOrEqual(MAX_PLAIN_TOKEN + 3);
      expect(assertKvKey(`c.${t}.${t}`)).toBeTruthy();
    }), { numRuns: 300 });
    expect(encodeToken('x'.repeat(500))).not.toBe(encodeToken('x'.repeat(501)));
    expect(encodeToken('')).toBe('x');
    expect(encodeToken('a.b')).toBe('xa_2Eb');
  });
});
