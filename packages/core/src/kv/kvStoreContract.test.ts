import { expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import type { KvItem, KvStore } from './KvStore.js';

const text = (item: KvItem | null) => (item === null ? null : new TextDecoder().decode(item.value));

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  throw new Error('expected the promise to reject');
}

/**
 * The `KvStore` contract, run against every implementation (JetStream KV, in memory): call it inside
 * a `describe`, with a factory that opens an empty bucket and a disposer.
 */
export function kvStoreContract(open: () => Promise<{ kv: KvStore; dispose(): PromiseLike<void> }>): void {
  const withKv = (fn: (kv: KvStore) => Promise<void>) => async () => {
    const { kv, dispose } = await open();
    try { await fn(kv); } finally { await dispose(); }
  };

  it('puts, gets, lists keys (with a filter) and returns null for a deleted or purged key', withKv(async (kv) => {
    expect(await kv.get('a1.k')).toBeNull();
    const r1 = await kv.put('a1.k', 'v1');
    await kv.put('a1.j', 'v2');
    await kv.put('a2.k', 'v3');
    expect(text(await kv.get('a1.k'))).toBe('v1');
    expect((await kv.get('a1.k'))?.revision).toBe(r1);
    expect((await kv.keys('a1.>')).sort()).toEqual(['a1.j', 'a1.k']);
    await kv.delete('a1.k');
    await kv.purge('a2.k');
    expect(await kv.get('a1.k')).toBeNull();
    expect(await kv.get('a2.k')).toBeNull();
    expect(await kv.keys()).toEqual(['a1.j']);
  }));

  it('create is refused on a live key (REVISION_CONFLICT) and allowed over a delete', withKv(async (kv) => {
    await kv.create('k', 'first');
    expect(MisterSmithError.is(await errorOf(kv.create('k', 'second')), 'REVISION_CONFLICT')).toBe(true);
    expect(text(await kv.get('k'))).toBe('first');
    await kv.delete('k');
    await kv.create('k', 'third');
    expect(text(await kv.get('k'))).toBe('third');
  }));

  it('update writes only at the current revision; revisions grow', withKv(async (kv) => {
    const r1 = await kv.put('k', 'v1');
    const r2 = await kv.update('k', 'v2', r1);
    expect(r2).toBeGreaterThan(r1);
    expect(MisterSmithError.is(await errorOf(kv.update('k', 'v3', r1)), 'REVISION_CONFLICT')).toBe(true);
    expect(MisterSmithError.is(await errorOf(kv.delete('k', { revision: r1 })), 'REVISION_CONFLICT')).toBe(true);
    expect(text(await kv.get('k'))).toBe('v2');
  }));

  it('keeps a key’s history oldest first, deletes included', withKv(async (kv) => {
    await kv.put('k', 'a');
    await kv.put('k', 'b');
    await kv.delete('k');
    const h = await kv.history('k');
    expect(h.map((i) => i.operation)).toEqual(['PUT', 'PUT', 'DEL']);
    expect(text(h[1]!)).toBe('b');
  }));

  it('compare-and-set: concurrent read-modify-writes all land; resolving to undefined writes nothing', withKv(async (kv) => {
    const inc = () => kv.cas('n', (cur) => String(Number(cur ? text(cur) : 0) + 1), { maxAttempts: 50 });
    await Promise.all(Array.from({ length: 8 }, inc));
    expect(text(await kv.get('n'))).toBe('8');
    const r = await kv.cas('n', () => undefined);
    expect(r.written).toBe(false);
    expect(text(await kv.get('n'))).toBe('8');
  }));

  it('watch with updatesOnly sees later puts and deletes, not what was there before', withKv(async (kv) => {
    await kv.put('old', 'x');
    const w = await kv.watch({ updatesOnly: true });
    await kv.put('new', 'y');
    await kv.delete('new');
    const seen: string[] = [];
    for await (const e of w) {
      seen.push(`${e.operation}:${e.key}`);
      if (seen.length === 2) break;
    }
    await w.stop();
    expect(seen).toEqual(['PUT:new', 'DEL:new']);
  }));

  it('rejects an invalid key with INVALID_KEY before it reaches the store', withKv(async (kv) => {
    expect(MisterSmithError.is(await errorOf(kv.put('bad key', 'x')), 'INVALID_KEY')).toBe(true);
  }));
}
