import { describe, expect, it } from 'vitest';
import { validate, version } from 'uuid';
import { uuidV7 } from './uuidV7.js';

describe('uuidV7', () => {
  it('makes RFC 9562 version 7 UUIDs carrying the Unix milliseconds', () => {
    const now = Date.UTC(2026, 11, 6, 8, 0, 0, 123);
    const id = uuidV7(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
  });

  it('keeps ids in creation order, within a millisecond and past the counter wrapping', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidV7(Date.UTC(2030, 0, 1)));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${ids[i - 1]} < ${ids[i]}`).toBe(true);
  });

  it('never goes back when the clock does', () => {
    const a = uuidV7(Date.UTC(2031, 0, 1, 0, 0, 1));
    const b = uuidV7(Date.UTC(2031, 0, 1, 0, 0, 0));
    expect(b > a).toBe(true);
  });
});
