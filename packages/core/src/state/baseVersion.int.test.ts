import { describe, expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { startTestEnv } from '../testing/index.js';
import { createStateStore } from './createStateStore.js';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => (MisterSmithError.is(e) ? e.code : String(e)));

describe('state store: a write made against an old base version', () => {
  it('finds a base older than the KV history in the stream and merges; a base found nowhere is BASE_UNAVAILABLE, never a silent overwrite', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { writerId: 'w1' });
    try {
      const base = (await store.write('b1', 'tags', ['a'], { strategy: 'vclock' })).version;
      const other = (await store.write('b1', 'other', 1)).version;
      // Six later writes: the base falls out of the key's KV history (5 revisions).
      for (let i = 0; i < 6; i++) await store.write('b1', 'tags', ['a', `later-${i}`], { strategy: 'vclock', writer: 'w2' });
      // A client that read the first version writes now: concurrent with the six, so the strategy merges.
      const stale = await store.write('b1', 'tags', ['a', 'stale'], { strategy: 'vclock', writer: 'w3', base });
      expect(stale.merged).toBe(true);
      // A base from another stream incarnation, or one that is no version of this key, cannot be found.
      expect(await codeOf(store.write('b1', 'tags', ['x'], { strategy: 'vclock', base: { epoch: base.epoch - 1, seq: base.seq } }))).toBe('BASE_UNAVAILABLE');
      expect(await codeOf(store.write('b1', 'tags', ['x'], { strategy: 'vclock', base: other }))).toBe('BASE_UNAVAILABLE');
      expect(await store.read('b1', 'tags')).toEqual(stale.value);
    } finally {
      await store.close();
    }
  });
});
