import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { createWebServer } from './createWebServer.js';
import { webConfig } from './webConfig.js';

const TOKEN = 'test-token-0123456789';

describe('who may read the web role', () => {
  it('with a token: 401 without it or with another, the page sets it as a cookie, rebuilds stay off unless allowed (403 READ_ONLY)', async () => {
    await using env = await startTestEnv();
    await using web = await createWebServer({ nats: env.nats, pg: env.pg, topology: env.topology, agentState: env.logs.agentState, logger: silentLogger(), config: webConfig({ port: 0, token: TOKEN }, {}) });
    const api = `${web.url}api/fleet`;
    const none = await fetch(api);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect((await fetch(api, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    expect((await fetch(api, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const page = await fetch(web.url);
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('<form');
    const opened = await fetch(`${web.url}?token=${TOKEN}`, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('/');
    const cookie = opened.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    const withCookie = await fetch(web.url, { headers: { cookie: cookie.split(';')[0]! } });
    expect(withCookie.status).toBe(200);
    expect(await withCookie.text()).toContain('id="agents"');
    const rebuild = await fetch(`${web.url}api/projections/agent-state/rebuild`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'x-mister-smith-action': 'rebuild' } });
    expect(rebuild.status).toBe(403);
    expect(await rebuild.json()).toMatchObject({ error: { code: 'READ_ONLY' } });
    expect((await fetch(`${web.url}healthz`)).status).toBe(200);
  });

  it('without a token: only requests addressed to a loopback host are answered', async () => {
    await using env = await startTestEnv();
    await using web = await createWebServer({ nats: env.nats, pg: env.pg, topology: env.topology, agentState: env.logs.agentState, logger: silentLogger(), config: webConfig({ port: 0 }, {}) });
    expect((await fetch(`${web.url}api/fleet`)).status).toBe(200);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolveStatus, reject) => {
      request(`${web.url}api/fleet`, { headers: { host: 'evil.example:80' } }, (res) => { res.resume(); resolveStatus(res.statusCode!); }).on('error', reject).end();
    });
    expect(status).toBe(401);
  });

  it('mister-smith web on a non-loopback host without a token stops at once with INVALID_CONFIG', () => {
    const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../cli/dist/bin.js');
    const env = { ...process.env, MISTER_SMITH_WEB_TOKEN: '', NATS_URL: 'nats://127.0.0.1:1', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const run = spawnSync(process.execPath, [bin, 'web', '--host', '0.0.0.0', '--port', '0'], { env, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^mister-smith: INVALID_CONFIG: the web role binds 0\.0\.0\.0, which other machines reach: set MISTER_SMITH_WEB_TOKEN/);
  });
});
