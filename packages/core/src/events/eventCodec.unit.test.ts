import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { createEvent } from './createEvent.js';
import { CURRENT_SCHEMA_VERSION } from './EventEnvelope.js';
import { decodeEvent, encodeEvent, validateEnvelope } from './eventCodec.js';

const encoder = new TextEncoder();
const bytesOf = (v: unknown) => encoder.encode(JSON.stringify(v));
const codeOf = (fn: () => unknown): string | undefined => {
  try { fn(); } catch (e) { return MisterSmithError.is(e) ? e.code : `not a MisterSmithError: ${String(e)}`; }
  return undefined;
};

const agentId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const traceparent = fc.tuple(hex(32), hex(16)).map(([t, s]) => `00-${t}-${s}-01`);

const validRaw = () => ({
  id: '0190a6c5-8f3e-7b1a-9c2d-3e4f5a6b7c8d', type: 'StateChanged', subject: 'agents.state.a1',
  time: '2024-07-01T12:00:00.000Z', schemaVersion: 1, data: { n: 1 },
});

describe('eventCodec', () => {
  it('round-trips any event the factory builds', () => {
    fc.assert(
      fc.property(
        agentId, fc.string({ minLength: 1, maxLength: 40 }), fc.jsonValue(), fc.option(fc.uuid(), { nil: undefined }),
        fc.option(fc.uuid(), { nil: undefined }), fc.option(traceparent, { nil: undefined }),
        (id, type, data, causationId, correlationId, tp) => {
          const e = createEvent({
            type, subject: `agents.state.${id}`, agentId: id, data,
            ...(causationId ? { causationId } : {}), ...(correlationId ? { correlationId } : {}), ...(tp ? { traceparent: tp } : {}),
          });
          const back = decodeEvent(encodeEvent(e));
          // JSON has no -0: compare with what JSON itself would give back for the data.
          expect(back).toEqual({ ...e, data: JSON.parse(JSON.stringify(data)) as unknown });
          expect(back.schemaVersion).toBe(CURRENT_SCHEMA_VERSION);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stamps a uuid v7 id and an ISO time', () => {
    const e = createEvent({ type: 'T', subject: 'agents.state.a1', data: null });
    expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Date(e.time).toISOString()).toBe(e.time);
    expect(Object.isFrozen(e)).toBe(true);
  });

  it('refuses to build events with an invalid subject or agent id', () => {
    expect(codeOf(() => createEvent({ type: 'T', subject: 'agents.state.a b', data: 1 }))).toBe('INVALID_SUBJECT');
    expect(codeOf(() => createEvent({ type: 'T', subject: 'agents.state.*', data: 1 }))).toBe('INVALID_SUBJECT');
    expect(codeOf(() => createEvent({ type: 'T', subject: 'agents.state.a1', agentId: 'agent:1', data: 1 }))).toBe('INVALID_ID');
  });

  it('reports bytes that are not UTF-8 JSON as MALFORMED_EVENT', () => {
    expect(codeOf(() => decodeEvent(encoder.encode('{"id": ')))).toBe('MALFORMED_EVENT');
    expect(codeOf(() => decodeEvent(encoder.encode('hello')))).toBe('MALFORMED_EVENT');
    expect(codeOf(() => decodeEvent(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))).toBe('MALFORMED_EVENT');
    expect(codeOf(() => decodeEvent(new Uint8Array()))).toBe('MALFORMED_EVENT');
  });

  it.each([
    ['an array', [validRaw()]],
    ['null', null],
    ['a number', 42],
    ['a missing id', { ...validRaw(), id: undefined }],
    ['a non-uuid id', { ...validRaw(), id: 'abc' }],
    ['an empty type', { ...validRaw(), type: '' }],
    ['a numeric type', { ...validRaw(), type: 7 }],
    ['a too long type', { ...validRaw(), type: 'x'.repeat(129) }],
    ['an empty subject', { ...validRaw(), subject: '' }],
    ['an unparseable time', { ...validRaw(), time: 'yesterday' }],
    ['a missing schemaVersion', { ...validRaw(), schemaVersion: undefined }],
    ['a zero schemaVersion', { ...validRaw(), schemaVersion: 0 }],
    ['a fractional schemaVersion', { ...validRaw(), schemaVersion: 1.5 }],
    ['a string schemaVersion', { ...validRaw(), schemaVersion: '1' }],
    ['a numeric agentId', { ...validRaw(), agentId: 5 }],
    ['an object causationId', { ...validRaw(), causationId: {} }],
    ['a bad traceparent', { ...validRaw(), traceparent: 'not-a-trace' }],
    ['no data', (() => { const { data: _d, ...rest } = validRaw(); void _d; return rest; })()],
  ])('reports %s as MALFORMED_EVENT', (_what, raw) => {
    expect(codeOf(() => decodeEvent(bytesOf(raw)))).toBe('MALFORMED_EVENT');
  });

  it('accepts the valid shape these variations start from', () => {
    expect(validateEnvelope(validRaw()).type).toBe('StateChanged');
    expect(decodeEvent(bytesOf({ ...validRaw(), data: null })).data).toBeNull();
  });

  it('refuses events of a future schema version as UNSUPPORTED_SCHEMA', () => {
    const err = (() => { try { decodeEvent(bytesOf({ ...validRaw(), schemaVersion: CURRENT_SCHEMA_VERSION + 1 })); } catch (e) { return e; } return undefined; })();
    expect(MisterSmithError.is(err, 'UNSUPPORTED_SCHEMA')).toBe(true);
    expect((err as MisterSmithError).details).toMatchObject({ schemaVersion: CURRENT_SCHEMA_VERSION + 1 });
  });

  it('refuses an event larger than the limit with PAYLOAD_TOO_LARGE and its size', () => {
    const e = createEvent({ type: 'Big', subject: 'agents.state.a1', data: { blob: 'x'.repeat(2000) } });
    const size = encodeEvent(e).length;
    expect(encodeEvent(e, size).length).toBe(size);
    const err = (() => { try { encodeEvent(e, size - 1); } catch (x) { return x; } return undefined; })();
    expect(MisterSmithError.is(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect((err as MisterSmithError).details).toMatchObject({ size, limit: size - 1, subject: 'agents.state.a1' });
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    const e = createEvent({ type: 'Big', subject: 'agents.state.a1', data: 'é'.repeat(1000) });
    const chars = JSON.stringify(e).length;
    expect(codeOf(() => encodeEvent(e, chars))).toBe('PAYLOAD_TOO_LARGE');
  });
});
