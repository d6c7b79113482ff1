import { afterEach, describe, expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { createEvent } from './createEvent.js';
import { decodeEvent, encodeEvent } from './eventCodec.js';
import { latestSchemaVersion, registerUpcaster } from './upcasters.js';

const undo: (() => void)[] = [];
afterEach(() => { while (undo.length) undo.pop()!(); });
const legacy = (data: unknown, schemaVersion = 1) => encodeEvent(createEvent({ type: 'ReadingTaken', subject: 'agents.state.t1', data, schemaVersion }));

describe('upcasters', () => {
  it('bring an old event up to the latest version of its type, one step at a time', () => {
    const v1 = legacy({ f: 212 });
    undo.push(registerUpcaster({ type: 'ReadingTaken', fromVersion: 1, upcast: (d: { f: number }) => ({ c: ((d.f - 32) * 5) / 9 }) }));
    undo.push(registerUpcaster({ type: 'ReadingTaken', fromVersion: 2, upcast: (d: { c: number }, e) => ({ celsius: d.c, at: e.time }) }));
    expect(latestSchemaVersion('ReadingTaken')).toBe(3);
    expect(latestSchemaVersion('Other')).toBe(1);
    const read = decodeEvent(v1);
    expect(read.schemaVersion).toBe(3);
    expect(read.data).toEqual({ celsius: 100, at: read.time });
    // New events are written at the latest version and read back as they are.
    const fresh = createEvent({ type: 'ReadingTaken', subject: 'agents.state.t1', data: { celsius: 5, at: 'x' } });
    expect(fresh.schemaVersion).toBe(3);
    expect(decodeEvent(encodeEvent(fresh)).data).toEqual({ celsius: 5, at: 'x' });
  });

  it('keep UNSUPPORTED_SCHEMA for a version above the latest, and for a missing step', () => {
    undo.push(registerUpcaster({ type: 'ReadingTaken', fromVersion: 2, upcast: (d) => d }));
    const code = (bytes: Uint8Array) => { try { decodeEvent(bytes); return 'ok'; } catch (e) { return MisterSmithError.is(e) ? e.code : 'other'; } };
    expect(code(legacy({}, 4))).toBe('UNSUPPORTED_SCHEMA');
    expect(code(legacy({}, 1))).toBe('UNSUPPORTED_SCHEMA'); // no 1 -> 2
    expect(code(legacy({}, 2))).toBe('ok');
  });

  it('refuse a second upcaster for the same type and version, and unregister', () => {
    const off = registerUpcaster({ type: 'ReadingTaken', fromVersion: 1, upcast: (d) => d });
    expect(() => registerUpcaster({ type: 'ReadingTaken', fromVersion: 1, upcast: (d) => d })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    off();
    expect(latestSchemaVersion('ReadingTaken')).toBe(1);
  });
});
