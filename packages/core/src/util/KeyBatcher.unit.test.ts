import { describe, expect, it } from 'vitest';
import { KeyBatcher } from './KeyBatcher.js';

function recorder(options: { maxInFlight?: number; maxBatch?: number } = {}) {
  const calls: string[][] = [];
  let fail: Error | undefined;
  const batcher = new KeyBatcher(async (keys) => {
    calls.push([...keys]);
    await new Promise((r) => setTimeout(r, 5));
    if (fail) throw fail;
    return new Map(keys.filter((k) => !k.startsWith('missing')).map((k) => [k, [k.toUpperCase()]]));
  }, { ...options, missing: () => [] as string[], copy: (v) => [...v] });
  return { batcher, calls, failWith: (e: Error) => { fail = e; } };
}

describe('KeyBatcher', () => {
  it('sends the lookups of one turn as one batch and gives each key its value, a missing key the default', async () => {
    const { batcher, calls } = recorder();
    const values = await Promise.all(['a', 'b', 'missing-c', 'a'].map((k) => batcher.load(k)));
    expect(calls).toEqual([['a', 'b', 'missing-c']]);
    expect(values).toEqual([['A'], ['B'], [], ['A']]);
    // Two callers of one key get equal values, not the same object.
    expect(values[0]).not.toBe(values[3]);
    expect(batcher.batches).toBe(1);
  });

  it('lets lookups that arrive while the batches in flight run form the next batch, up to maxBatch keys', async () => {
    const { batcher, calls } = recorder({ maxInFlight: 1, maxBatch: 3 });
    const first = batcher.load('k0');
    await new Promise((r) => setImmediate(r)); // k0 is in flight now
    const rest = Array.from({ length: 5 }, (_, i) => batcher.load(`k${i + 1}`));
    expect(await Promise.all([first, ...rest])).toEqual(Array.from({ length: 6 }, (_, i) => [`K${i}`]));
    expect(calls).toEqual([['k0'], ['k1', 'k2', 'k3'], ['k4', 'k5']]);
  });

  it('rejects every lookup of a failed batch with its error, and keeps serving afterwards', async () => {
    const { batcher, failWith } = recorder();
    const boom = new Error('database down');
    failWith(boom);
    const results = await Promise.allSettled([batcher.load('a'), batcher.load('b')]);
    expect(results.map((r) => r.status === 'rejected' && r.reason)).toEqual([boom, boom]);
    failWith(undefined as unknown as Error);
    expect(await batcher.load('a')).toEqual(['A']);
  });
});
