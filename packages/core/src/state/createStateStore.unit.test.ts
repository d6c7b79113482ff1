import { describe, expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { InMemoryEventLog } from '../testing/InMemoryEventLog.js';
import { InMemoryKvStore } from '../testing/InMemoryKvStore.js';
import { InMemoryStateRepository } from '../testing/InMemoryStateRepository.js';
import { createStateStore } from './createStateStore.js';

/** The store on in-memory parts: the facade needs no NATS or PostgreSQL to run its logic. */
function parts() {
  const log = new InMemoryEventLog({ epoch: 1 });
  const kv = new InMemoryKvStore('AGENT_STATE');
  const repository = new InMemoryStateRepository();
  return { log, kv, repository, openSharedBucket: async () => new InMemoryKvStore('SHARED') };
}

describe('createStateStore on injected in-memory parts', () => {
  it('writes through the log and KV, reads back, flushes to the repository and hydrates a new store from it', async () => {
    const p = parts();
    const store = await createStateStore(p, { writerId: 'w1', flushIntervalMs: 60_000 });
    const r = await store.write('a1', 'count', 1);
    await store.write('a1', 'count', (n: number) => n + 1);
    await store.write('a1', 'name', 'x');
    await store.delete('a1', 'name');
    expect(r.version).toEqual({ epoch: 1, seq: 1 });
    expect(await store.read('a1', 'count')).toBe(2);
    expect(await store.read('a1', 'name')).toBeUndefined();
    expect(store.dirtyCount).toBe(2);
    await store.flushAgent('a1');
    expect((await p.repository.get('a1', 'count'))?.value).toBe(2);
    expect(await p.repository.get('a1', 'name')).toMatchObject({ tombstone: true });
    await store.close();

    // A fresh store with an empty KV hydrates from the repository.
    const fresh = await createStateStore({ ...p, kv: new InMemoryKvStore('AGENT_STATE') }, { writerId: 'w2' });
    const report = await fresh.hydrateAgent('a1');
    expect(report.values).toEqual({ count: 2 });
    expect(await fresh.readAll('a1')).toEqual({ count: 2 });
    await fresh.close();
  });

  it('two writers of one agent converge: a lost append race is reconciled, no increment lost', async () => {
    const p = parts();
    const [a, b] = await Promise.all([createStateStore(p, { writerId: 'a', cache: { maxEntries: 0 } }), createStateStore(p, { writerId: 'b', cache: { maxEntries: 0 } })]);
    const inc = (n: number | undefined) => (n ?? 0) + 1;
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).write('shared', 'n', inc)));
    expect(await a.read('shared', 'n')).toBe(10);
    await Promise.all([a.close(), b.close()]);
  });

  it('acknowledges a postgres-durable write only once its row is in the repository', async () => {
    const p = parts();
    const store = await createStateStore(p, { writerId: 'w', durability: 'postgres', flushIntervalMs: 60_000 });
    await Promise.all(Array.from({ length: 16 }, (_, i) => store.write(`g${i}`, 'k', i)));
    for (let i = 0; i < 16; i++) expect((await p.repository.get(`g${i}`, 'k'))?.value).toBe(i);
    expect(p.repository.upserts).toBeLessThan(16); // grouped into shared transactions
    await store.close();
  });

  it('keeps at most cache.maxEntries values in memory (least recently used out) and serves each for cache.ttlMs', async () => {
    const p = parts();
    const store = await createStateStore(p, { writerId: 'w', cache: { maxEntries: 2, ttlMs: 200 }, flushIntervalMs: 60_000 });
    for (const k of ['a', 'b', 'c']) await store.write('lru', k, k);
    // 'a' was pushed out by 'c'; 'b' and 'c' are still in memory.
    expect((await store.readEntry('lru', 'a'))?.source).toBe('kv');
    expect((await store.readEntry('lru', 'c'))?.source).toBe('memory');
    await new Promise((r) => setTimeout(r, 300));
    expect((await store.readEntry('lru', 'c'))?.source).toBe('kv');
    expect((await store.readEntry('lru', 'c'))?.value).toBe('c');
    await store.close();
  });

  it('refuses cache options that are not whole numbers in range with INVALID_CONFIG, before opening anything', async () => {
    for (const cache of [{ maxEntries: -1 }, { maxEntries: 1.5 }, { ttlMs: 0 }, { ttlMs: Number.NaN }, { maxAgents: -3 }]) {
      const err = await createStateStore(parts(), { cache }).then(() => undefined, (e: unknown) => e);
      expect(MisterSmithError.is(err, 'INVALID_CONFIG')).toBe(true);
      expect((err as Error).message).toMatch(/^cache\.\w+ must be an integer >= [01], got /);
    }
  });
});
