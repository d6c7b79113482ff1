import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SyncError, syncAgent, type ChangeMessage, type SyncUpdate } from '@mister-smith/client';
import { createStateStore, silentLogger } from '@mister-smith/core';
import { readMarkedCodeBlock, startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { createWebServer, type WebServer } from './createWebServer.js';
import { webConfig } from './webConfig.js';

/** A TCP proxy in front of the web role that the test can cut and restore, as a flaky network would. */
async function startProxy(targetPort: number) {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) { client.destroy(); return; }
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() { refusing = true; for (const s of sockets) s.destroy(); },
    restore() { refusing = false; },
    async [Symbol.asyncDispose]() { for (const s of sockets) s.destroy(); await new Promise<void>((r) => server.close(() => r())); },
  };
}

async function startWeb(env: TestEnv): Promise<WebServer> {
  return createWebServer({ nats: env.nats, pg: env.pg, topology: env.topology, agentState: env.logs.agentState, logger: silentLogger(), config: webConfig({ port: 0 }, {}) });
}

/** Resolves when `predicate` holds for an update of `sync` (checked on every update). */
function until(sync: { on(l: (u: SyncUpdate) => void): () => void }, predicate: (u: SyncUpdate) => boolean): Promise<SyncUpdate> {
  return new Promise((resolve) => {
    const off = sync.on((u) => { if (predicate(u)) { off(); resolve(u); } });
  });
}

describe('agent state sync over HTTP (server-sent events)', () => {
  it('a client disconnected while 1,000 changes are written catches up to exactly those changes, then matches a fresh snapshot', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { flushIntervalMs: 60_000, flushThreshold: 100_000 });
    await using web = await startWeb(env);
    await using proxy = await startProxy(web.port);
    const agent = 'sync-1';
    for (let k = 0; k < 5; k++) await store.write(agent, `k${k}`, { n: -1 });

    await using sync = syncAgent({ baseUrl: proxy.url, agentId: agent, retry: { minMs: 20, maxMs: 200 } });
    const seen: ChangeMessage[] = [];
    const kinds: string[] = [];
    sync.on((u) => { kinds.push(u.type); if (u.type === 'change') seen.push(u.change); });
    await sync.ready;
    expect(sync.values()).toEqual({ k0: { n: -1 }, k1: { n: -1 }, k2: { n: -1 }, k3: { n: -1 }, k4: { n: -1 } });
    const cursorBefore = sync.cursor();

    const disconnected = until(sync, (u) => u.type === 'disconnected');
    proxy.cut();
    await disconnected;
    // 1,000 changes while the client is away: puts on ten keys, every 100th a delete.
    const expected = new Map<string, unknown>(Object.entries(sync.values()));
    const written: number[] = [];
    for (let i = 0; i < 1000; i += 20) {
      const batch = Array.from({ length: 20 }, (_, j) => i + j);
      const results = await Promise.all(batch.map((n) => (n % 100 === 99 ? store.delete(agent, `k${n % 10}`) : store.write(agent, `k${n % 10}`, { n }))));
      written.push(...results.map((r) => r.version.seq));
      for (const n of batch) { if (n % 100 === 99) expected.delete(`k${n % 10}`); }
    }
    for (const k of ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9']) {
      const v = await store.read(agent, k);
      if (v === undefined) expected.delete(k); else expected.set(k, v);
    }
    const last = Math.max(...written);
    const caughtUp = until(sync, (u) => u.type === 'change' && u.change.seq === last);
    proxy.restore();
    await caughtUp;

    expect(written).toHaveLength(1000);
    expect(seen.map((c) => c.seq)).toEqual([...written].sort((a, b) => a - b)); // every change once, in order: no gap, no duplicate
    expect(kinds.filter((k) => k === 'snapshot')).toHaveLength(1); // resumed with Last-Event-ID, not re-snapshotted
    expect(kinds).not.toContain('reset');
    expect(sync.cursor()).not.toBe(cursorBefore);
    expect(sync.values()).toEqual(Object.fromEntries(expected));
    expect(sync.revision()).toBe(last);

    await using fresh = syncAgent({ baseUrl: web.url, agentId: agent });
    await fresh.ready;
    expect(fresh.values()).toEqual(sync.values());
    expect(fresh.entries()).toEqual(sync.entries()); // same versions too
    await store.close();
  }, 120_000);

  it('resuming from a revision older than the stream keeps gets HTTP 410 REVISION_EXPIRED; the client starts again from a snapshot', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { flushIntervalMs: 60_000 });
    await using web = await startWeb(env);
    const agent = 'sync-2';
    await store.write(agent, 'a', 1);
    await using first = syncAgent({ baseUrl: web.url, agentId: agent });
    await first.ready;
    const old = first.cursor()!;
    await first.close();
    await store.write(agent, 'a', 2);
    await store.write(agent, 'b', 'x');
    await store.flush(); // PostgreSQL holds the state; the stream may now let go of the events
    const { lastSeq } = await env.logs.agentState.bounds();
    await env.nats.jsm.streams.purge(env.topology.streams.agentState.name, { seq: lastSeq + 1 }); // what retention does, all at once

    const res = await fetch(`${web.url}api/agents/${agent}/sync`, { headers: { 'last-event-id': old } });
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ error: { code: 'REVISION_EXPIRED' } });

    await using strict = syncAgent({ baseUrl: web.url, agentId: agent, cursor: old, onExpired: 'fail' });
    const failure = await strict.ready.then(() => undefined, (e: unknown) => e);
    expect(SyncError.is(failure, 'REVISION_EXPIRED')).toBe(true);
    expect((failure as SyncError).status).toBe(410);

    await using lenient = syncAgent({ baseUrl: web.url, agentId: agent, cursor: old });
    const kinds: string[] = [];
    const snapshot = until(lenient, (u) => u.type === 'snapshot');
    lenient.on((u) => kinds.push(u.type));
    await snapshot;
    expect(kinds).toContain('reset');
    expect(lenient.values()).toEqual({ a: 2, b: 'x' });
    await store.close();
  }, 60_000);

  it('refuses a malformed agent id with 400 and the typed code', async () => {
    await using env = await startTestEnv();
    await using web = await startWeb(env);
    const res = await fetch(`${web.url}api/agents/${encodeURIComponent('bad.id')}/sync`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'INVALID_ID' } });
  });

  it("runs the README's client example as written: the snapshot, then a change as it is committed", async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { flushIntervalMs: 60_000 });
    await using web = await startWeb(env);
    await store.write('readme-1', 'count', 1);
    const here = dirname(fileURLToPath(import.meta.url));
    const example = (await readMarkedCodeBlock(resolve(here, '../../../README.md'), 'sync-client:example'))
      .replace("'http://127.0.0.1:4280'", JSON.stringify(web.url.replace(/\/$/, '')))
      .replace("'demo-counter-1'", "'readme-1'")
      .replace('10_000', '3_000');
    // Inside this package's node_modules, so that '@mister-smith/client' resolves as it does for a user.
    const dir = resolve(here, '../node_modules/.readme-example');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `example-${process.pid}.mjs`);
    writeFileSync(file, example);
    try {
      const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
      child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
      const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
      await expect.poll(() => out, { timeout: 10_000 }).toMatch(/\{ count: 1 \} at revision \d+/);
      const { version } = await store.write('readme-1', 'count', 7);
      expect(await exited, err).toBe(0);
      expect(out).toContain(`#${version.seq} count = 7`);
    } finally {
      rmSync(file, { force: true });
      await store.close();
    }
  });
});
