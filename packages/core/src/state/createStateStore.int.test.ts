import { describe, expect, it } from 'vitest';
import { startTestEnv } from '../testing/index.js';
import { createStateStore } from './createStateStore.js';
import { agentKvKey } from '../config/identifiers.js';

describe('state store: write path, read path, hydration', () => {
  it('reads its own writes and serves them from PostgreSQL after KV loses them', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { flushThreshold: 1000, flushIntervalMs: 60_000 });
    const w = await store.write('a1', 'count', 41);
    expect(w.version.seq).toBeGreaterThan(0);
    expect(await store.read('a1', 'count')).toBe(41);
    const f = await store.flushAgent('a1');
    expect(f.written).toBe(1);
    const kv = await env.bucket('agentState');
    await kv.purge(agentKvKey('a1', 'count'));
    const reader = await createStateStore(env, { cache: { maxEntries: 0 } });
    const e = await reader.readEntry('a1', 'count');
    expect(e).toMatchObject({ value: 41, source: 'postgres' });
    expect(await kv.get(agentKvKey('a1', 'count'))).not.toBeNull();
    await reader.close();
    await store.close();
  });
});
