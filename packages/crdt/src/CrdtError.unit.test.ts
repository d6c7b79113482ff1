import { describe, expect, it } from 'vitest';
import { CrdtError } from './CrdtError.js';

describe('CrdtError', () => {
  it('carries code, cause and details', () => {
    const cause = new Error('boom');
    const error = new CrdtError('CORRUPT_ENTRY', 'bad entry', { cause, details: { key: 'a' } });
    expect(error.code).toBe('CORRUPT_ENTRY');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ key: 'a' });
    expect(error.name).toBe('CrdtError');
    expect(error).toBeInstanceOf(Error);
  });

  it('is() matches by brand and code', () => {
    const error = new CrdtError('INVALID_ARGUMENT', 'nope');
    expect(CrdtError.is(error)).toBe(true);
    expect(CrdtError.is(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(CrdtError.is(error, 'CORRUPT_ENTRY')).toBe(false);
  });

  it('is() does not rely on instanceof (works across package copies)', () => {
    const foreign = { name: 'CrdtError', code: 'STRATEGY_MISMATCH', message: 'from another copy' };
    expect(CrdtError.is(foreign, 'STRATEGY_MISMATCH')).toBe(true);
  });

  it('is() rejects other errors and non-objects', () => {
    expect(CrdtError.is(new Error('x'))).toBe(false);
    expect(CrdtError.is({ name: 'CrdtError' })).toBe(false);
    expect(CrdtError.is(null)).toBe(false);
    expect(CrdtError.is('CrdtError')).toBe(false);
  });

  it('omits cause when none is given', () => {
    expect('cause' in new CrdtError('MERGE_FAILED', 'x')).toBe(false);
  });
});
