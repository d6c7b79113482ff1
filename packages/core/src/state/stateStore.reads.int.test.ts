import { describe, expect, it } from 'vitest';
import { startTestEnv } from '../testing/index.js';
import { JetStreamKvStore } from '../kv/JetStreamKvStore.js';
import { agentKvKey } from '../config/identifiers.js';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import type { KvStore, KvWatch } from '../kv/KvStore.js';
import { createStateStore } from './createStateStore.js';
import { openStateStoreParts } from './openStateStoreParts.js';

describe('state store: read path', () => {
  it('invalidates L1 across processes through the KV watch', async () => {
    await using env = await startTestEnv();
    const other = await env.connect();
    const a = await createStateStore(env);
    const b = await createStateStore({ nats: other, pg: env.pg, topology: env.topology });
    await a.write('x1', 'color', 'red');
    expect(await b.read('x1', 'color')).toBe('red');
    expect((await b.readEntry('x1', 'color'))?.source).toBe('memory');
    await a.write('x1', 'color', 'blue');
    await expect.poll(() => b.read('x1', 'color'), { timeout: 5000 }).toBe('blue');
    await a.close();
    await b.close();
  });

  it('when its KV watch ends, L1 serves no stale value; the watch is restarted and keeps L1 current again', async () => {
    await using env = await startTestEnv();
    // The reader's parts, with a KV store that hands out its watches to the test (so it can end them).
    const parts = await openStateStoreParts(env);
    const watches: KvWatch[] = [];
    const kv = new Proxy(parts.kv, {
      get(target, prop) {
        if (prop === 'watch') return async (...args: Parameters<KvStore['watch']>) => { const w = await target.watch(...args); watches.push(w); return w; };
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const reader = await createStateStore({ ...parts, kv });
    const writer = await createStateStore({ nats: await env.connect(), pg: env.pg, topology: env.topology }, { watch: false });
    try {
      await writer.write('w1', 'color', 'red');
      expect(await reader.read('w1', 'color')).toBe('red');
      expect((await reader.readEntry('w1', 'color'))?.source).toBe('memory');
      expect(watches).toHaveLength(1);
      // The watch ends; a write lands that no watch reports to the reader.
      await watches[0]!.stop();
      await writer.write('w1', 'color', 'blue');
      expect(await reader.read('w1', 'color')).toBe('blue');
      // A new watch runs; L1 is filled and kept current by it again.
      await expect.poll(() => watches.length, { timeout: 10_000 }).toBe(2);
      await expect.poll(async () => (await reader.readEntry('w1', 'color'))?.source, { timeout: 10_000 }).toBe('memory');
      await writer.write('w1', 'color', 'green');
      await expect.poll(async () => { const e = await reader.readEntry('w1', 'color'); return `${String(e?.value)}/${e?.source}`; }, { timeout: 10_000 }).toBe('green/memory');
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('with kvWrite background, the writer still reads its own writes without L1, and KV catches up', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { kvWrite: 'background', cache: { maxEntries: 0 } });
    for (let i = 1; i <= 20; i++) {
      await store.write('bg1', 'n', i);
      expect(await store.read('bg1', 'n')).toBe(i);
    }
    await store.close(); // waits for the KV writes behind the acknowledgements
    const kv = await env.bucket('agentState');
    expect(JSON.parse(new TextDecoder().decode((await kv.get(agentKvKey('bg1', 'n')))!.value)).value).toBe(20);
  });

  it('re-hydrates KV from PostgreSQL after the KV entry is deleted, and never resurrects a deleted key', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { cache: { maxEntries: 0 } });
    await store.write('h1', 'a', 1);
    await store.write('h1', 'b', 2);
    await store.delete('h1', 'b');
    await store.flush();
    const kv = await env.bucket('agentState');
    for (const k of ['a', 'b']) await kv.purge(agentKvKey('h1', k));
    const report = await store.hydrateAgent('h1');
    expect(report).toMatchObject({ keys: 2, repaired: 0 });
    expect(await store.read('h1', 'a')).toBe(1);
    expect(await store.read('h1', 'b')).toBeUndefined();
    expect(await store.readAll('h1')).toEqual({ a: 1 });
    await store.close();
  });

  it('rejects invalid ids and keys before they reach NATS or PostgreSQL, and keeps serving', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env);
    for (const [id, key] of [['bad id', 'k'], ['a', 'has.dot'], ['a', '_reserved'], ['', 'k'], ['x'.repeat(65), 'k']] as const) {
      const e = await store.write(id, key, 1).catch((x: unknown) => x);
      expect(MisterSmithError.is(e) && ['INVALID_ID', 'INVALID_KEY'].includes(e.code), `${id}/${key}`).toBe(true);
    }
    const big = await store.write('a', 'big', 'x'.repeat(65 * 1024 * 1024)).catch((x: unknown) => x);
    expect(MisterSmithError.is(big, 'PAYLOAD_TOO_LARGE')).toBe(true);
    await store.write('a', 'ok', 1);
    expect(await store.read('a', 'ok')).toBe(1);
    await store.close();
  });

  it('reports a corrupt KV entry as CORRUPT_ENTRY naming the key, without poisoning other keys', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { cache: { maxEntries: 0 } });
    await store.write('c1', 'good', 1);
    const kv: JetStreamKvStore = await env.bucket('agentState');
    await kv.put(agentKvKey('c1', 'bad'), 'not json');
    const e = await store.read('c1', 'bad').catch((x: unknown) => x);
    expect(MisterSmithError.is(e, 'CORRUPT_ENTRY')).toBe(true);
    expect((e as MisterSmithError).details.key).toBe(agentKvKey('c1', 'bad'));
    expect(await store.read('c1', 'good')).toBe(1);
    await store.close();
  });
});
