import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidNamespaceError } from '@langchain/langgraph-checkpoint';
import { createDatabase, type DatabaseHandle } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { LangGraphError } from '../errors/LangGraphError.js';
import { deprovisionLangGraph } from '../nats/provisionLangGraph.js';
import { MisterSmithStore, type MisterSmithStoreOptions } from './MisterSmithStore.js';

let env: TestEnv;
const pools: DatabaseHandle[] = [];
const stores: MisterSmithStore[] = [];

beforeAll(async () => { env = await startTestEnv({ provision: false, migrate: false }); });
afterAll(async () => {
  for (const s of stores) await s.close();
  if (stores[0]) await deprovisionLangGraph(env.nats, stores[0].topology);
  for (const p of pools) await p.close();
  await env.close();
});

/** A store on its own connections, like another process. */
async function openStore(options: Partial<MisterSmithStoreOptions> = {}): Promise<MisterSmithStore> {
  const pg = await createDatabase(env.databaseUrl, { max: 4 });
  pools.push(pg);
  const store = await MisterSmithStore.open({ nats: await env.connect(), pg, namespace: env.namespace, profile: 'test', ...options });
  stores.push(store);
  return store;
}

describe('MisterSmithStore', () => {
  it('put / get / delete, with createdAt kept and updatedAt moved by an update, visible to another process at once', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const a = await openStore({ now: () => now });
    const b = await openStore({ now: () => now });
    await a.put(['users', 'u1'], 'prefs', { theme: 'dark' });
    const first = await b.get(['users', 'u1'], 'prefs');
    expect(first).toMatchObject({ namespace: ['users', 'u1'], key: 'prefs', value: { theme: 'dark' } });
    now += 5000;
    await b.put(['users', 'u1'], 'prefs', { theme: 'light' });
    const second = await a.get(['users', 'u1'], 'prefs');
    expect(second?.value).toEqual({ theme: 'light' });
    expect(second?.createdAt).toEqual(first?.createdAt);
    expect(second!.updatedAt.getTime() - first!.updatedAt.getTime()).toBe(5000);
    await a.delete(['users', 'u1'], 'prefs');
    expect(await b.get(['users', 'u1'], 'prefs')).toBeNull();
    expect(await a.get(['users', 'nobody'], 'prefs')).toBeNull();
  });

  it('search: namespace prefix, filter (plain, nested, operators), limit and offset, newest first', async () => {
    let now = Date.parse('2026-01-02T00:00:00Z');
    const s = await openStore({ now: () => now });
    const put = async (ns: string[], key: string, value: Record<string, unknown>) => { now += 1000; await s.put(ns, key, value); };
    await put(['docs', 'a'], 'd1', { kind: 'note', n: 1, tags: ['x'], meta: { lang: 'en' } });
    await put(['docs', 'a'], 'd2', { kind: 'todo', n: 2, meta: { lang: 'fr' } });
    await put(['docs', 'b'], 'd3', { kind: 'note', n: 3 });
    await put(['docsx'], 'd4', { kind: 'note', n: 4 });
    const keys = async (prefix: string[], options: Parameters<MisterSmithStore['search']>[1] = {}) => (await s.search(prefix, options)).map((i) => i.key);
    expect(await keys(['docs'])).toEqual(['d3', 'd2', 'd1']);
    expect(await keys(['docs', 'a'])).toEqual(['d2', 'd1']);
    expect(await keys([])).toEqual(['d4', 'd3', 'd2', 'd1']);
    expect(await keys(['docs'], { filter: { kind: 'note' } })).toEqual(['d3', 'd1']);
    expect(await keys(['docs'], { filter: { meta: { lang: 'fr' } } })).toEqual(['d2']);
    expect(await keys(['docs'], { filter: { n: { $gte: 2 } } })).toEqual(['d3', 'd2']);
    expect(await keys(['docs'], { filter: { kind: { $in: ['todo'] } } })).toEqual(['d2']);
    expect(await keys(['docs'], { filter: { kind: { $ne: 'note' } } })).toEqual(['d2']);
    expect(await keys(['docs'], { filter: { tags: { $exists: true } } })).toEqual(['d1']);
    expect(await keys([], { limit: 2 })).toEqual(['d4', 'd3']);
    expect(await keys([], { limit: 2, offset: 1 })).toEqual(['d3', 'd2']);
    const [hit] = await s.search(['docs', 'b']);
    expect(hit).toMatchObject({ namespace: ['docs', 'b'], key: 'd3', value: { kind: 'note', n: 3 } });
    expect(hit?.createdAt).toBeInstanceOf(Date);
  });

  it('listNamespaces: prefix, suffix, wildcards, maxDepth, limit and offset', async () => {
    const s = await openStore({ schema: 'lg_ns_test' }); // its own schema: listNamespaces sees only this test's items
    for (const ns of [['a', 'b', 'c'], ['a', 'b', 'd'], ['a', 'x', 'c'], ['z', 'b', 'c'], ['a']]) await s.put(ns, 'k', { v: 1 });
    expect(await s.listNamespaces()).toEqual([['a'], ['a', 'b', 'c'], ['a', 'b', 'd'], ['a', 'x', 'c'], ['z', 'b', 'c']]);
    expect(await s.listNamespaces({ prefix: ['a', 'b'] })).toEqual([['a', 'b', 'c'], ['a', 'b', 'd']]);
    expect(await s.listNamespaces({ suffix: ['c'] })).toEqual([['a', 'b', 'c'], ['a', 'x', 'c'], ['z', 'b', 'c']]);
    expect(await s.listNamespaces({ prefix: ['*', 'b'] })).toEqual([['a', 'b', 'c'], ['a', 'b', 'd'], ['z', 'b', 'c']]);
    expect(await s.listNamespaces({ prefix: ['a'], suffix: ['*', 'c'] })).toEqual([['a', 'b', 'c'], ['a', 'x', 'c']]);
    expect(await s.listNamespaces({ maxDepth: 2 })).toEqual([['a'], ['a', 'b'], ['a', 'x'], ['z', 'b']]);
    expect(await s.listNamespaces({ limit: 2, offset: 1 })).toEqual([['a', 'b', 'c'], ['a', 'b', 'd']]);
    await env.pg.withClient((c) => c.query('DROP SCHEMA lg_ns_test CASCADE'));
  });

  it('TTL: an item expires, a read refreshes it, sweepExpired deletes expired rows', async () => {
    let now = Date.parse('2026-01-03T00:00:00Z');
    const s = await openStore({ now: () => now, ttl: { defaultTtl: 1, refreshOnRead: true } });
    await s.put(['ttl'], 'short', { v: 1 });
    await s.put(['ttl'], 'read', { v: 2 });
    await s.put(['ttl'], 'forever', { v: 3 }, undefined, { ttl: null });
    now += 40_000;
    expect(await s.get(['ttl'], 'read')).not.toBeNull(); // 20 s left of 60: refreshed to now + 60 s
    now += 40_000;
    expect(await s.get(['ttl'], 'short')).toBeNull();
    expect((await s.search(['ttl'])).map((i) => i.key).sort()).toEqual(['forever', 'read']);
    now += 61_000;
    expect(await s.get(['ttl'], 'read')).toBeNull();
    expect(await s.sweepExpired()).toBe(2);
    expect(await s.get(['ttl'], 'forever')).not.toBeNull();
  });

  it('validates namespaces as upstream does and refuses semantic search with a typed error', async () => {
    const s = await openStore();
    await expect(s.put(['a.b'], 'k', { v: 1 })).rejects.toBeInstanceOf(InvalidNamespaceError);
    await expect(s.put(['a', ''], 'k', { v: 1 })).rejects.toBeInstanceOf(InvalidNamespaceError);
    await expect(s.put(['langgraph'], 'k', { v: 1 })).rejects.toBeInstanceOf(InvalidNamespaceError);
    await expect(s.put([], 'k', { v: 1 })).rejects.toBeInstanceOf(InvalidNamespaceError);
    const e = await s.search(['a'], { query: 'pizza' }).catch((x: unknown) => x);
    expect(LangGraphError.is(e, 'VECTOR_SEARCH_UNSUPPORTED')).toBe(true);
    expect(() => new MisterSmithStore({ nats: env.nats, pg: env.pg, index: { dims: 3 } })).toThrow(expect.objectContaining({ code: 'VECTOR_SEARCH_UNSUPPORTED' }));
  });

  it('keys and namespace labels are arbitrary strings (unicode, spaces, slashes)', async () => {
    const s = await openStore();
    await s.put(['ünï côde', 'a/b'], 'key with spaces/and>stuff*', { ok: true });
    expect((await s.get(['ünï côde', 'a/b'], 'key with spaces/and>stuff*'))?.value).toEqual({ ok: true });
    expect(await s.listNamespaces({ prefix: ['ünï côde'] })).toEqual([['ünï côde', 'a/b']]);
  });
});
