import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToBase64 } from './base64.js';
import { CrdtError } from './CrdtError.js';
import { parseStored } from './parseStored.js';
import { decodeStored, encodeStored } from './storedCodec.js';

const hlc = { wall: 1, counter: 0, node: 'n' };
const corrupt = expect.objectContaining({ name: 'CrdtError', code: 'CORRUPT_ENTRY' });

describe('parseStored', () => {
  it('rejects values that are not stored values with CORRUPT_ENTRY', () => {
    const cases: unknown[] = [
      undefined,
      null,
      7,
      'lww',
      [],
      {},
      { s: 'nope' },
      { s: 'lww', hlc, writer: 'w' },
      { s: 'lww', value: 1, hlc: { ...hlc, wall: -1 }, writer: 'w' },
      { s: 'lww', value: 1, hlc: { ...hlc, node: '' }, writer: 'w' },
      { s: 'lww', value: 1, hlc, writer: '' },
      { s: 'lww', value: 1, hlc: 'yesterday', writer: 'w' },
      { s: 'vclock', siblings: [] },
      { s: 'vclock', siblings: 'x' },
      { s: 'vclock', siblings: [{ value: 1, clock: { a: -1 }, writer: 'w', hlc }] },
      { s: 'vclock', siblings: [{ value: 1, clock: { a: 1.5 }, writer: 'w', hlc }] },
      { s: 'vclock', siblings: [{ clock: { a: 1 }, writer: 'w', hlc }] },
      { s: 'vclock', siblings: [null] },
      { s: 'crdt' },
      { s: 'crdt', doc: 12 },
      { s: 'crdt', doc: '' },
      { s: 'crdt', doc: 'not base64!' },
      { s: 'crdt', doc: 'AAAA' },
      { s: 'crdt', doc: bytesToBase64(new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 1, 2, 3])) },
    ];
    for (const raw of cases) expect(() => parseStored(raw), JSON.stringify(raw) ?? 'undefined').toThrow(corrupt);
  });

  it('never throws anything but CORRUPT_ENTRY on arbitrary JSON', () => {
    const tagged = fc.record({ s: fc.constantFrom('lww', 'vclock', 'crdt'), value: fc.jsonValue(), siblings: fc.jsonValue(), doc: fc.jsonValue() }, { requiredKeys: ['s'] });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), tagged), (raw) => {
        try {
          parseStored(raw);
        } catch (e) {
          expect(CrdtError.is(e, 'CORRUPT_ENTRY')).toBe(true);
        }
      }),
    );
  });

  it('throws CORRUPT_ENTRY for random bytes posing as a document', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 48 }), (bytes) => {
        expect(() => parseStored({ s: 'crdt', doc: bytesToBase64(bytes) })).toThrow(corrupt);
      }),
    );
  });

  it('canonicalises vector-clock siblings: drops superseded and duplicate versions, sorts the rest', () => {
    const v = (value: number, clock: Record<string, number>, wall: number) => ({ value, clock, writer: 'w', hlc: { ...hlc, wall } });
    const parsed = parseStored({ s: 'vclock', siblings: [v(2, { b: 1 }, 5), v(1, { a: 1 }, 1), v(0, {}, 0), v(2, { b: 1, z: 0 }, 5)] });
    expect(parsed).toEqual({ s: 'vclock', siblings: [v(1, { a: 1 }, 1), v(2, { b: 1 }, 5)] });
  });

  it('drops unknown fields and freezes the result', () => {
    const parsed = parseStored({ s: 'lww', value: { a: [1] }, hlc, writer: 'w', extra: true });
    expect(parsed).toEqual({ s: 'lww', value: { a: [1] }, hlc, writer: 'w' });
    expect(Object.isFrozen(parsed)).toBe(true);
  });
});

describe('encodeStored / decodeStored', () => {
  it('round-trips through JSON text and UTF-8 bytes', () => {
    const stored = parseStored({ s: 'lww', value: 'héllo ✓', hlc, writer: 'w' });
    expect(decodeStored(encodeStored(stored))).toEqual(stored);
    expect(decodeStored(new TextEncoder().encode(encodeStored(stored)))).toEqual(stored);
  });

  it('throws CORRUPT_ENTRY on text that is not JSON or bytes that are not UTF-8', () => {
    expect(() => decodeStored('{"s":')).toThrow(corrupt);
    expect(() => decodeStored(new Uint8Array([0xff, 0xfe]))).toThrow(corrupt);
    expect(() => decodeStored('"just a string"')).toThrow(corrupt);
  });
});
