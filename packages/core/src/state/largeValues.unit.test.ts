import { describe, expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { InMemoryEventLog } from '../testing/InMemoryEventLog.js';
import { InMemoryKvStore } from '../testing/InMemoryKvStore.js';
import { InMemoryStateRepository } from '../testing/InMemoryStateRepository.js';
import { createStateStore } from './createStateStore.js';
import { decodeKvStateEntry } from './kvStateEntry.js';
import { InMemoryLargeValues, jsonBytesAtMost, largeValueLimits, oversizedJson } from './largeValues.js';

function parts() {
  return {
    log: new InMemoryEventLog({ epoch: 1 }), kv: new InMemoryKvStore('AGENT_STATE'), repository: new InMemoryStateRepository(),
    values: new InMemoryLargeValues(), openSharedBucket: async () => new InMemoryKvStore('SHARED'),
  };
}

async function events(log: InMemoryEventLog) {
  const out = [];
  for await (const item of log.read({})) if (item.kind === 'event') out.push(item.record.event);
  return out;
}

const limits = { inlineBytes: 4096, maxBytes: 64 * 1024 };
const text = (tag: string, n: number) => ({ tag, text: `${tag}:`.padEnd(n, 'y') });

describe('large values on in-memory parts', () => {
  it('validates limits and measures values: inline, by reference, over the cap', () => {
    expect(largeValueLimits()).toEqual({ inlineBytes: 256 * 1024, maxBytes: 64 * 1024 * 1024 });
    for (const bad of [{ inlineBytes: 10 }, { inlineBytes: 2 * 1024 * 1024 }, { inlineBytes: 8192, maxBytes: 4096 }]) {
      expect(() => largeValueLimits(bad)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }) as Error);
    }
    expect(oversizedJson(limits, 'a', 'k', 'short', { s: 'lww', value: 'short', stamp: 1 })).toBeUndefined();
    expect(oversizedJson(limits, 'a', 'k', 42, null)).toBeUndefined();
    expect(JSON.parse(oversizedJson(limits, 'a', 'k', text('t', 5000), null)!)).toEqual({ value: text('t', 5000), stored: null });
    // Multi-byte text is counted in bytes, not characters.
    expect(oversizedJson(limits, 'a', 'k', 'é'.repeat(1500), null)).toBeUndefined();
    expect(oversizedJson(limits, 'a', 'k', 'é'.repeat(2100), null)).toBeDefined();
    let err: unknown;
    try { oversizedJson(limits, 'a', 'k', text('t', 70_000), null); } catch (e) { err = e; }
    expect(MisterSmithError.is(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect((err as MisterSmithError).details).toMatchObject({ agentId: 'a', key: 'k', limit: 64 * 1024 });
  });

  it('decides small values by a bounded walk whose bound is never below the JSON bytes', () => {
    const samples: unknown[] = ['', 'é\u0000"\\', '😀'.repeat(10), 0, -1.5e300, true, null, [], {}, [1, 'a', { b: [null, false] }],
      { nested: { deeper: { list: Array.from({ length: 50 }, (_, i) => ({ i, s: `v${i}` })) } } }, { u: undefined, d: 1 }];
    for (const x of samples) expect(jsonBytesAtMost(x, 1e9)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(x) ?? ''));
    expect(jsonBytesAtMost('x'.repeat(1000), 1e9)).toBeLessThan(1e9);
    expect(jsonBytesAtMost(Array.from({ length: 1000 }, () => 'abc'), 100)).toBe(Infinity);
    // What it does not walk (toJSON, typed arrays) is left to JSON.stringify.
    expect(jsonBytesAtMost(new Date(), 1e9)).toBe(Infinity);
    expect(oversizedJson(limits, 'a', 'k', { at: new Date(0) }, null)).toBeUndefined();
  });

  it('writes lww and crdt values over the inline limit by reference; a fresh store reads them from KV, from the stream and from the repository', async () => {
    const p = parts();
    const store = await createStateStore(p, { writerId: 'w1', largeValues: limits, strategies: { keys: { doc: 'crdt' } }, flushIntervalMs: 60_000 });
    const big = text('lww', 10_000);
    const doc = { items: Array.from({ length: 200 }, (_, i) => `item-${i}-${'z'.repeat(20)}`) };
    await store.write('a1', 'big', big);
    await store.write('a1', 'doc', doc);
    await store.write('a1', 'small', 1);
    const [e1, e2, e3] = await events(p.log);
    for (const e of [e1!, e2!]) {
      expect(e.data).not.toHaveProperty('value');
      expect(e.data).not.toHaveProperty('stored');
      expect((e.data as { ref: { object: string } }).ref.object.startsWith('a1/')).toBe(true);
    }
    expect(e3!.data).toMatchObject({ value: 1 });
    expect((await p.values.list()).length).toBe(2);
    const kvBig = decodeKvStateEntry('a1.big', (await p.kv.get('a1.big'))!.value);
    expect(kvBig.ref).toEqual((e1!.data as { ref: unknown }).ref);
    expect(kvBig).not.toHaveProperty('value');

    const read = async (q: ReturnType<typeof parts>) => {
      const s = await createStateStore(q, { cache: { maxEntries: 0 }, largeValues: limits, strategies: { keys: { doc: 'crdt' } } });
      try {
        return { read: await s.readAll('a1'), hydrated: (await s.hydrateAgent('a1')).values };
      } finally {
        await s.close();
      }
    };
    const want = { big, doc, small: 1 };
    // From KV (references).
    expect(await read(p)).toEqual({ read: want, hydrated: want });
    // From the stream only (no KV, no repository): the log's reads resolve the references.
    expect(await read({ ...p, kv: new InMemoryKvStore('AGENT_STATE') })).toEqual({ read: want, hydrated: want });
    // From the repository (rows hold the values): KV gets new references.
    await store.flush();
    expect((await p.repository.get('a1', 'big'))?.value).toEqual(big);
    const emptyLog = { ...p, kv: new InMemoryKvStore('AGENT_STATE'), log: new InMemoryEventLog({ epoch: 1 }) };
    expect(await read(emptyLog)).toEqual({ read: want, hydrated: want });
    expect(decodeKvStateEntry('a1.big', (await emptyLog.kv.get('a1.big'))!.value).ref?.object).not.toBe(kvBig.ref?.object);

    // The crdt key keeps merging after a round trip through the Object Store.
    await store.write('a1', 'doc', { ...doc, extra: true });
    expect(await store.read('a1', 'doc')).toEqual({ ...doc, extra: true });
    await store.close();
  });

  it('refuses a value over the cap before anything is appended, stored or cached', async () => {
    const p = parts();
    const store = await createStateStore(p, { largeValues: limits });
    const err = await store.write('a1', 'big', text('x', 70_000)).catch((e: unknown) => e);
    expect(MisterSmithError.is(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect(await events(p.log)).toEqual([]);
    expect(await p.values.list()).toEqual([]);
    expect(await store.read('a1', 'big')).toBeUndefined();
    await store.close();
  });
});
