import { MisterSmithError } from '@mister-smith/core';
import { describe, expect, it } from 'vitest';
import { webConfig } from './webConfig.js';

describe('webConfig', () => {
  it('binds loopback on port 4280, read-only, by default', () => {
    expect(webConfig({}, {})).toEqual({ host: '127.0.0.1', port: 4280, token: undefined, allowRebuild: false });
  });
  it('refuses to expose the page without a token (INVALID_CONFIG), and accepts it with one', () => {
    const e = (() => { try { webConfig({ host: '0.0.0.0' }, {}); } catch (err) { return err; } return undefined; })();
    expect(MisterSmithError.is(e, 'INVALID_CONFIG')).toBe(true);
    expect(webConfig({ host: '0.0.0.0' }, { MISTER_SMITH_WEB_TOKEN: 'a-long-enough-token' })).toMatchObject({ host: '0.0.0.0', token: 'a-long-enough-token' });
  });
  it('takes the environment, with options winning', () => {
    const env = { MISTER_SMITH_WEB_PORT: '9000', MISTER_SMITH_WEB_ALLOW_REBUILD: 'true', MISTER_SMITH_WEB_HOST: '127.0.0.2' };
    expect(webConfig({}, env)).toMatchObject({ host: '127.0.0.2', port: 9000, allowRebuild: true });
    expect(webConfig({ port: 0, allowRebuild: false }, env)).toMatchObject({ port: 0, allowRebuild: false });
    expect(() => webConfig({}, { MISTER_SMITH_WEB_PORT: 'http' })).toThrow(/port number/);
    expect(() => webConfig({}, { MISTER_SMITH_WEB_TOKEN: 'short' })).toThrow(/at least 16/);
  });
});
