import { describe, expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { loadConfig, redactUrl } from './loadConfig.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try { fn(); } catch (e) { return MisterSmithError.is(e) ? e.code : `not a MisterSmithError: ${String(e)}`; }
  return undefined;
};

describe('loadConfig', () => {
  it('defaults to embedded servers, the production profile and .data', () => {
    const c = loadConfig({});
    expect(c).toEqual({ nats: {}, profile: 'production', dataDir: '.data' });
    expect(c.nats.servers).toBeUndefined();
    expect(c.databaseUrl).toBeUndefined();
  });

  it('reads every variable it documents', () => {
    const c = loadConfig({
      NATS_URL: 'nats://a:4222, nats://b:4222 ,', NATS_USER: 'u', NATS_PASSWORD: 'p', NATS_TOKEN: 't', NATS_CREDS: '/x.creds',
      NATS_NKEY_SEED: 'SUAB', NATS_TLS_CA: '/ca.pem', DATABASE_URL: 'postgres://db/x', MISTER_SMITH_NAMESPACE: 'prod1',
      MISTER_SMITH_PROFILE: 'test', MISTER_SMITH_DATA_DIR: '/var/ms', METRICS_PORT: '9100', MISTER_SMITH_PLACEMENT_CLUSTER: 'east',
    });
    expect(c).toEqual({
      nats: { servers: ['nats://a:4222', 'nats://b:4222'], user: 'u', pass: 'p', token: 't', credsFile: '/x.creds', nkeySeed: 'SUAB', tls: { caFile: '/ca.pem' } },
      databaseUrl: 'postgres://db/x', namespace: 'prod1', profile: 'test', dataDir: '/var/ms', metricsPort: 9100, placementCluster: 'east',
    });
  });

  it('treats blank variables as unset', () => {
    const c = loadConfig({ NATS_URL: '  ', DATABASE_URL: '', MISTER_SMITH_NAMESPACE: ' ', METRICS_PORT: '' });
    expect(c.nats.servers).toBeUndefined();
    expect(c.databaseUrl).toBeUndefined();
    expect(c.namespace).toBeUndefined();
    expect(c.metricsPort).toBeUndefined();
  });

  it('accepts port 0 (pick a free one)', () => {
    expect(loadConfig({ METRICS_PORT: '0' }).metricsPort).toBe(0);
  });

  it.each([
    ['an unknown profile', { MISTER_SMITH_PROFILE: 'staging' }],
    ['a non-numeric port', { METRICS_PORT: 'abc' }],
    ['a negative port', { METRICS_PORT: '-1' }],
    ['a port above 65535', { METRICS_PORT: '70000' }],
    ['a fractional port', { METRICS_PORT: '80.5' }],
    ['an invalid namespace', { MISTER_SMITH_NAMESPACE: 'Bad.NS' }],
  ])('refuses %s with INVALID_CONFIG', (_what, env) => {
    expect(codeOf(() => loadConfig(env))).toBe('INVALID_CONFIG');
  });
});

describe('redactUrl', () => {
  it('hides passwords and bare credentials, keeps the rest', () => {
    expect(redactUrl('postgres://postgres:s3cret@127.0.0.1:5432/db')).toBe('postgres://postgres:***@127.0.0.1:5432/db');
    expect(redactUrl('nats://tok3n@host:4222')).toBe('nats://***@host:4222');
    expect(redactUrl('postgres://127.0.0.1:5432/db')).toBe('postgres://127.0.0.1:5432/db');
    expect(redactUrl('postgres://u:p%40ss@h/db')).toBe('postgres://u:***@h/db');
  });

  it('hides a password with an unescaped "@" (pg accepts it) completely', () => {
    expect(redactUrl('postgres://u:p@ss@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactUrl('postgres://u:p@ss@h')).toBe('postgres://u:***@h');
  });

  it('hides every password of a server list and a password given as a parameter', () => {
    expect(redactUrl('nats://u:p1@a:4222,nats://v:p2@b:4222')).toBe('nats://u:***@a:4222,nats://v:***@b:4222');
    expect(redactUrl('postgres://u@h/db?sslmode=disable&password=secret')).toBe('postgres://***@h/db?sslmode=disable&password=***');
  });
});

describe('loadConfig refuses malformed server addresses', () => {
  it.each([
    ['NATS_URL', 'nats//base'], ['NATS_URL', 'nats://'], ['NATS_URL', 'http://host:4222'], ['NATS_URL', 'nats://a:4222,nats:/b'],
    ['DATABASE_URL', 'postgres//user@host/db'], ['DATABASE_URL', 'localhost:5432/db'], ['DATABASE_URL', 'mysql://h/db'], ['DATABASE_URL', 'postgres://u:p%zz@h/db'],
  ])('%s=%s is INVALID_CONFIG, named as malformed', (name, value) => {
    let message = '';
    try { loadConfig({ [name]: value }); } catch (e) { message = MisterSmithError.is(e, 'INVALID_CONFIG') ? e.message : `other: ${String(e)}`; }
    expect(message).toMatch(new RegExp(`^${name} is malformed: `));
    expect(message).not.toContain('p%zz');
  });

  it.each([
    ['NATS_URL', 'nats://127.0.0.1:4222'], ['NATS_URL', 'localhost:4222'], ['NATS_URL', 'tls://a.example:4443, wss://b.example'], ['NATS_URL', '[::1]:4222'],
    ['DATABASE_URL', 'postgres://u:p%40ss@h:5432/db?sslmode=require'], ['DATABASE_URL', 'postgresql:///db'], ['DATABASE_URL', '/var/run/postgresql'],
  ])('%s=%s is accepted', (name, value) => {
    expect(() => loadConfig({ [name]: value })).not.toThrow();
  });
});
