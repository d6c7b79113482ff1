import { describe, expect, it } from 'vitest';
import { agentKvKey } from '../config/identifiers.js';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { startTestEnv } from '../testing/index.js';
import { createStateStore } from './createStateStore.js';
import { decodeKvStateEntry } from './kvStateEntry.js';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => (MisterSmithError.is(e) ? e.code : String(e)));

describe('state store: large values are carried once', () => {
  it('writes, reads back and hydrates a 700 KB value (one copy in the event and in KV); a value over the message limit is PAYLOAD_TOO_LARGE before it is published', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { writerId: 'w1' });
    try {
      const big = { text: 'x'.repeat(700 * 1024) };
      const w = await store.write('big1', 'doc', big);
      expect(await store.read('big1', 'doc')).toEqual(big);
      // The event: the value once (the stored form without its copy), under the 1 MB message limit.
      const msg = await env.nats.jsm.streams.getMessage(env.topology.streams.agentState.name, { seq: w.version.seq });
      expect(msg!.data.length).toBeLessThan(750 * 1024);
      // KV: the value once too, and it decodes to the whole stored form.
      const kv = await env.bucket('agentState');
      const item = await kv.get(agentKvKey('big1', 'doc'));
      expect(item!.value.length).toBeLessThan(750 * 1024);
      const entry = decodeKvStateEntry(item!.key, item!.value);
      expect((entry.stored as { value?: unknown }).value).toEqual(big);
      // A later write keeps LWW order (the stamp survived the round trip), and hydration reads it back.
      await store.write('big1', 'doc', { text: 'small' });
      await store.flushAgent('big1');
      const reader = await createStateStore(env, { cache: { maxEntries: 0 } });
      try {
        expect((await reader.hydrateAgent('big1')).values).toEqual({ doc: { text: 'small' } });
      } finally {
        await reader.close();
      }
      expect(await codeOf(store.write('big1', 'doc', { text: 'y'.repeat(1100 * 1024) }))).toBe('PAYLOAD_TOO_LARGE');
    } finally {
      await store.close();
    }
  });
});
