import { describe, expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { JsCodes, jsApiCode } from '../nats/natsErrors.js';
import { startTestEnv } from '../testing/index.js';
import { JetStreamKvStore, jsonPayload } from './JetStreamKvStore.js';
import type { KvItem } from './KvStore.js';

const text = (item: KvItem | null) => (item === null ? null : new TextDecoder().decode(item.value));

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  throw new Error('expected the promise to reject');
}

describe('JetStreamKvStore', () => {
  it('puts, gets, lists keys and returns null for a deleted or purged key', async () => {
    await using env = await startTestEnv({ migrate: false });
    const kv = await env.bucket('agentConfig');
    expect(await kv.get('a1.model')).toBeNull();
    const r1 = await kv.put('a1.model', 'gpt');
    await kv.put('a1.temperature', jsonPayload(0.2));
    await kv.put('a2.model', 'claude');
    expect(text(await kv.get('a1.model'))).toBe('gpt');
    expect((await kv.get('a1.model'))?.revision).toBe(r1);
    expect(JSON.parse(text(await kv.get('a1.temperature'))!)).toBe(0.2);
    expect((await kv.keys()).sort()).toEqual(['a1.model', 'a1.temperature', 'a2.model']);
    expect((await kv.keys('a1.>')).sort()).toEqual(['a1.model', 'a1.temperature']);

    await kv.delete('a1.model');
    expect(await kv.get('a1.model')).toBeNull();
    await kv.purge('a2.model');
    expect(await kv.get('a2.model')).toBeNull();
    expect(await kv.keys()).toEqual(['a1.temperature']);
  });

  it('create on an existing key is a REVISION_CONFLICT and leaves the value alone', async () => {
    await using env = await startTestEnv({ migrate: false });
    const kv = await env.bucket('agentConfig');
    await kv.create('a1.model', 'first');
    const err = await errorOf(kv.create('a1.model', 'second'));
    expect(MisterSmithError.is(err, 'REVISION_CONFLICT')).toBe(true);
    expect((err as MisterSmithError).details).toMatchObject({ key: 'a1.model' });
    expect(text(await kv.get('a1.model'))).toBe('first');
    // A deleted key can be created again.
    await kv.delete('a1.model');
    await kv.create('a1.model', 'third');
    expect(text(await kv.get('a1.model'))).toBe('third');
  });

  it('update with a stale revision is a REVISION_CONFLICT; with the current one it writes', async () => {
    await using env = await startTestEnv({ migrate: false });
    const kv = await env.bucket('agentConfig');
    const r1 = await kv.put('a1.k', 'v1');
    const r2 = await kv.update('a1.k', 'v2', r1);
    expect(r2).toBeGreaterThan(r1);
    const err = await errorOf(kv.update('a1.k', 'v3', r1));
    expect(MisterSmithError.is(err, 'REVISION_CONFLICT')).toBe(true);
    expect((err as MisterSmithError).details).toMatchObject({ key: 'a1.k', revision: r1 });
    expect(text(await kv.get('a1.k'))).toBe('v2');
    // A conditional delete with a stale revision is refused as well.
    expect(MisterSmithError.is(await errorOf(kv.delete('a1.k', { revision: r1 })), 'REVISION_CONFLICT')).toBe(true);
    expect(text(await kv.get('a1.k'))).toBe('v2');
    await kv.delete('a1.k', { revision: r2 });
    expect(await kv.get('a1.k')).toBeNull();
  });

  it('cas loses no update when writers on separate connections increment one counter', async () => {
    await using env = await startTestEnv({ migrate: false });
    const bucket = env.topology.buckets.agentConfig.bucket;
    const writers = 5;
    const incrementsEach = 15;
    const stores = await Promise.all(Array.from({ length: writers }, async () => JetStreamKvStore.open(await env.connect(), bucket)));
    let totalAttempts = 0;
    await Promise.all(stores.map(async (kv) => {
      for (let i = 0; i < incrementsEach; i++) {
        const r = await kv.cas('counter', (cur) => String(Number(text(cur) ?? '0') + 1), { maxAttempts: 500, backoffMs: 1 });
        expect(r.written).toBe(true);
        totalAttempts += r.attempts;
      }
    }));
    const reader = await env.bucket('agentConfig');
    expect(Number(text(await reader.get('counter')))).toBe(writers * incrementsEach);
    // The writers really raced: some attempts lost and were retried.
    expect(totalAttempts).toBeGreaterThan(writers * incrementsEach);
  });

  it('cas leaves KV alone when the resolve function returns undefined', async () => {
    await using env = await startTestEnv({ migrate: false });
    const kv = await env.bucket('agentConfig');
    const rev = await kv.put('a1.k', 'keep');
    const r = await kv.cas('a1.k', () => undefined);
    expect(r).toEqual({ written: false, revision: rev, attempts: 1 });
    expect((await kv.get('a1.k'))?.revision).toBe(rev);
  });

  it('cas that keeps losing gives RETRIES_EXHAUSTED after its bound', async () => {
    await using env = await startTestEnv({ migrate: false });
    const kv = await env.bucket('agentConfig');
    const rival = await JetStreamKvStore.open(await env.connect(), env.topology.buckets.agentConfig.bucket);
    await kv.put('a1.hot', '0');
    let calls = 0;
    const err = await errorOf(kv.cas('a1.hot', async (cur) => {
      calls++;
      // Another writer always gets in between this read and the write.
      await rival.put('a1.hot', `rival-${calls}`);
      return `${text(cur)}+mine`;
    }, { maxAttempts: 4, backoffMs: 1 }));
    expect(MisterSmithError.is(err, 'RETRIES_EXHAUSTED')).toBe(true);
    expect((err as MisterSmithError).details).toMatchObject({ key: 'a1.hot', attempts: 4 });
    expect(MisterSmithError.is((err as Error).cause, 'REVISION_CONFLICT')).toBe(true);
    expect(calls).toBe(4);
    expect(text(await kv.get('a1.hot'))).toBe('rival-4');
  });

  it.each(['agent:1', 'a b', '', '.x', 'a..b', 'x.', 'a*', 'a>', 'ü'])('rejects the key %j with INVALID_KEY before it reaches NATS', async (key) => {
    await using env = await startTestEnv({ migrate: false });
    const kv = await env.bucket('agentConfig');
    // With the connection closed, anything that reached NATS would fail as CLOSED: INVALID_KEY proves it did not.
    const closedHandle = await env.connect();
    const offline = await JetStreamKvStore.open(closedHandle, env.topology.buckets.agentConfig.bucket);
    await closedHandle.close();
    expect(MisterSmithError.is(await errorOf(offline.put('valid.key', 'v')), 'CLOSED')).toBe(true);
    for (const op of [
      () => offline.put(key, 'v'), () => offline.get(key), () => offline.create(key, 'v'), () => offline.update(key, 'v', 1),
      () => offline.delete(key), () => offline.purge(key), () => offline.history(key), () => offline.cas(key, () => 'v'),
    ]) {
      const err = await errorOf(op());
      expect(MisterSmithError.is(err, 'INVALID_KEY'), String(err)).toBe(true);
    }
    expect(await kv.keys()).toEqual([]);
  });

  it('refuses a value over the bucket limit with PAYLOAD_TOO_LARGE and stores nothing', async () => {
    await using env = await startTestEnv({ migrate: false });
    const kv = await env.bucket('agentState');
    const limit = env.topology.buckets.agentState.maxValueSize!;
    expect(limit).toBe(1024 * 1024);
    const err = await errorOf(kv.put('a1.big', new Uint8Array(limit + 1)));
    expect(MisterSmithError.is(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect((err as MisterSmithError).details).toMatchObject({ key: 'a1.big', size: limit + 1, limit });
    expect(MisterSmithError.is(await errorOf(kv.create('a1.big', 'x'.repeat(limit + 1))), 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect(await kv.get('a1.big')).toBeNull();
    // Just under the limit fits.
    await kv.put('a1.big', new Uint8Array(limit - 1024));
    expect((await kv.get('a1.big'))?.value.length).toBe(limit - 1024);
  });

  it('refuses an oversized value with PAYLOAD_TOO_LARGE even when opened without an explicit limit', async () => {
    await using env = await startTestEnv({ migrate: false });
    const kv = await JetStreamKvStore.open(env.nats, env.topology.buckets.agentConfig.bucket);
    const err = await errorOf(kv.put('a1.big', new Uint8Array(2 * 1024 * 1024)));
    expect(MisterSmithError.is(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect(await kv.get('a1.big')).toBeNull();
  });

  it('keeps the bucket history (AGENT_CONFIG keeps 10), oldest first, deletes included', async () => {
    await using env = await startTestEnv({ migrate: false });
    const kv = await env.bucket('agentConfig');
    for (let i = 1; i <= 12; i++) await kv.put('a1.k', `v${i}`);
    const h = await kv.history('a1.k');
    expect(h.map(text)).toEqual(Array.from({ length: 10 }, (_, i) => `v${i + 3}`));
    expect(h.map((x) => x.revision)).toEqual([...h.map((x) => x.revision)].sort((a, b) => a - b));
    await kv.delete('a1.k');
    const after = await kv.history('a1.k');
    expect(after.at(-1)?.operation).toBe('DEL');
    expect(after).toHaveLength(10);

    const session = await env.bucket('session');
    await session.put('s1', 'a');
    await session.put('s1', 'b');
    expect((await session.history('s1')).map(text)).toEqual(['b']);
  });

  it('watches changes: history first, then live updates, until stopped', async () => {
    await using env = await startTestEnv({ migrate: false });
    const kv = await env.bucket('agentConfig');
    await kv.put('a1.k', 'before');
    const w = await kv.watch({ key: 'a1.>' });
    const seen: { key: string; value: string | null; op: string; isUpdate: boolean }[] = [];
    const writer = await JetStreamKvStore.open(await env.connect(), env.topology.buckets.agentConfig.bucket);
    let wrote = false;
    for await (const e of w) {
      seen.push({ key: e.key, value: e.operation === 'PUT' ? text(e) : null, op: e.operation, isUpdate: e.isUpdate });
      if (!wrote) {
        wrote = true;
        await writer.put('a1.k', 'after');
        await writer.put('other.k', 'ignored');
        await writer.delete('a1.k');
      }
      if (seen.length === 3) break;
    }
    await w.stop();
    expect(seen).toEqual([
      // nats.js flags the last initial value as an update already, so isUpdate is not compared for it.
      { key: 'a1.k', value: 'before', op: 'PUT', isUpdate: seen[0]?.isUpdate },
      { key: 'a1.k', value: 'after', op: 'PUT', isUpdate: true },
      { key: 'a1.k', value: null, op: 'DEL', isUpdate: true },
    ]);
  });

  it('opening a bucket that does not exist is NOT_FOUND', async () => {
    await using env = await startTestEnv({ provision: false, migrate: false });
    const err = await errorOf(JetStreamKvStore.open(env.nats, env.topology.buckets.agentConfig.bucket));
    expect(MisterSmithError.is(err, 'NOT_FOUND')).toBe(true);
    expect((err as MisterSmithError).details).toEqual({ bucket: env.topology.buckets.agentConfig.bucket });
    // Opening never creates it.
    expect(jsApiCode(await errorOf(env.nats.jsm.streams.info(`KV_${env.topology.buckets.agentConfig.bucket}`)))).toBe(JsCodes.streamNotFound);
  });
});
