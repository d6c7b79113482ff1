import { compareLww, type LwwRegister } from '@mister-smith/crdt';
import { describe, expect, it } from 'vitest';
import { agentKvKey } from '../config/identifiers.js';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { decodeEvent } from '../events/eventCodec.js';
import { startTestEnv, type TestEnv } from '../testing/index.js';
import { createStateStore } from './createStateStore.js';
import { decodeKvStateEntry } from './kvStateEntry.js';
import { JetStreamLargeValues } from './largeValues.js';

const errorOf = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
const MiB = 1024 * 1024;

/** A value whose JSON is about `bytes` long, distinct per `tag`. */
function bigValue(tag: string, bytes: number) {
  return { tag, text: `${tag}:`.padEnd(bytes, 'x') };
}

async function objectsOf(env: TestEnv) {
  return JetStreamLargeValues.of(env.nats, env.topology.objects.largeValues).list();
}

async function rawEvent(env: TestEnv, seq: number) {
  const msg = await env.nats.jsm.streams.getMessage(env.topology.streams.agentState.name, { seq });
  return { size: msg!.data.length, event: decodeEvent(msg!.data) };
}

describe('state store: large values', () => {
  it('carries a 700 KB value by reference: small event and KV entry, the object in LARGE_VALUES; read back, hydrated from KV after a restart', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { writerId: 'w1' });
    try {
      const big = bigValue('a', 700 * 1024);
      const w = await store.write('big1', 'doc', big);
      expect(await store.read('big1', 'doc')).toEqual(big);
      // The event: a reference (object, size, digest), no value.
      const { size, event } = await rawEvent(env, w.version.seq);
      expect(size).toBeLessThan(4096);
      const data = event.data as { ref?: { object: string; size: number; digest: string }; value?: unknown };
      expect(data.value).toBeUndefined();
      expect(data.ref?.object.startsWith('big1/doc/')).toBe(true);
      expect(data.ref?.size).toBeGreaterThan(700 * 1024);
      expect(data.ref?.digest).toMatch(/^SHA-256=/);
      // KV: the same reference.
      const kv = await env.bucket('agentState');
      const item = await kv.get(agentKvKey('big1', 'doc'));
      expect(item!.value.length).toBeLessThan(4096);
      expect(decodeKvStateEntry(item!.key, item!.value).ref).toEqual(data.ref);
      expect((await objectsOf(env)).map((o) => o.name)).toEqual([data.ref!.object]);
      // A fresh store without L1 reads it through KV and the Object Store.
      const reader = await createStateStore(env, { cache: { maxEntries: 0 } });
      try {
        expect(await reader.read('big1', 'doc')).toEqual(big);
        expect(await reader.readAll('big1')).toEqual({ doc: big });
      } finally {
        await reader.close();
      }
      // A small write afterwards is inline again and wins (LWW order kept).
      await store.write('big1', 'doc', { text: 'small' });
      expect((await kv.get(agentKvKey('big1', 'doc')))!.value.length).toBeLessThan(1024);
      expect(await store.read('big1', 'doc')).toEqual({ text: 'small' });
    } finally {
      await store.close();
    }
  });

  it('a 5 MB value: written, read, and hydrated after a restart (fresh store, L1 off) from KV, from PostgreSQL and from the stream', async () => {
    await using env = await startTestEnv();
    const big = bigValue('five', 5 * 1000 * 1000);
    let written: string;
    const store = await createStateStore(env, { writerId: 'w1' });
    try {
      const w = await store.write('big5', 'doc', big);
      written = ((await rawEvent(env, w.version.seq)).event.data as { ref: { object: string } }).ref.object;
      await store.write('big5', 'note', 'small');
      expect(await store.read('big5', 'doc')).toEqual(big);
      await store.flushAgent('big5');
    } finally {
      await store.close();
    }
    // PostgreSQL holds the value itself (SQL readers and hydration need no Object Store).
    const row = await env.pg.db.selectFrom('agents.state').select(['state_value']).where('agent_id', '=', 'big5').where('state_key', '=', 'doc').executeTakeFirstOrThrow();
    expect(row.state_value).toEqual(big);
    const hydrate = async () => {
      const s = await createStateStore(env, { cache: { maxEntries: 0 } });
      try {
        const r = await s.hydrateAgent('big5');
        return { values: r.values, read: await s.read('big5', 'doc') };
      } finally {
        await s.close();
      }
    };
    // From KV (the reference) after a restart.
    expect(await hydrate()).toEqual({ values: { doc: big, note: 'small' }, read: big });
    // From PostgreSQL: KV emptied; the hydration puts the value back by a new reference.
    const kv = await env.bucket('agentState');
    await kv.delete(agentKvKey('big5', 'doc'));
    expect(await hydrate()).toEqual({ values: { doc: big, note: 'small' }, read: big });
    const entry = decodeKvStateEntry('k', (await kv.get(agentKvKey('big5', 'doc')))!.value);
    expect(entry.ref?.size).toBeGreaterThan(5_000_000);
    // From the stream: PostgreSQL lost the row (a crash before the flush).
    await env.pg.db.deleteFrom('agents.state').where('agent_id', '=', 'big5').execute();
    await kv.delete(agentKvKey('big5', 'doc'));
    expect(await hydrate()).toEqual({ values: { doc: big, note: 'small' }, read: big });
    // KV gets the event's reference back: no new object for a value the stream refers to.
    expect(decodeKvStateEntry('k', (await kv.get(agentKvKey('big5', 'doc')))!.value).ref?.object).toBe(written);
    expect((await objectsOf(env)).length).toBe(2);
  });

  it('refuses a value over the hard cap with PAYLOAD_TOO_LARGE (size and cap) before anything is appended or stored', async () => {
    await using env = await startTestEnv();
    const store = await createStateStore(env, { largeValues: { maxBytes: 2 * MiB } });
    try {
      await store.write('capped', 'doc', 'first');
      const before = await env.logs.agentState.bounds();
      const err = await errorOf(store.write('capped', 'doc', bigValue('over', 2 * MiB + 10)));
      expect(MisterSmithError.is(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
      const details = (err as MisterSmithError).details as { size: number; limit: number };
      expect(details.limit).toBe(2 * MiB);
      expect(details.size).toBeGreaterThan(2 * MiB);
      expect((err as Error).message).toContain(`${2 * MiB} bytes`);
      expect((await env.logs.agentState.bounds()).lastSeq).toBe(before.lastSeq);
      expect(await objectsOf(env)).toEqual([]);
      expect(await store.read('capped', 'doc')).toBe('first');
    } finally {
      await store.close();
    }
  });

  it('concurrent LWW writes of large values from two stores keep LWW order: every reader sees the winner', async () => {
    await using env = await startTestEnv();
    const a = await createStateStore(env, { writerId: 'wa' });
    const b = await createStateStore(env, { writerId: 'wb' });
    try {
      const writes = [];
      for (let i = 0; i < 4; i++) {
        writes.push(a.write('race', 'doc', bigValue(`a${i}`, 400 * 1024)));
        writes.push(b.write('race', 'doc', bigValue(`b${i}`, 400 * 1024)));
      }
      const results = await Promise.all(writes);
      // The winner is the write with the greatest HLC stamp of all the events (read back with their
      // values and stamps through the Object Store); both stores and a fresh reader agree on it.
      const stamped: { tag: string; stored: LwwRegister }[] = [];
      for await (const item of env.logs.agentState.read({ filter: 'agents.state.race' })) {
        if (item.kind !== 'event' || item.record.event.type !== 'StateChanged') continue;
        const d = item.record.event.data as { value: { tag: string }; stored: LwwRegister; ref?: unknown };
        expect(d.ref).toBeDefined();
        stamped.push({ tag: d.value.tag, stored: d.stored });
      }
      expect(stamped.length).toBeGreaterThanOrEqual(8);
      const winner = stamped.reduce((m, x) => (compareLww(x.stored, m.stored) > 0 ? x : m));
      const last = results.reduce((m, r) => (r.version.seq > m.version.seq ? r : m));
      expect((last.value as { tag: string }).tag).toBe(winner.tag);
      const fresh = await createStateStore(env, { cache: { maxEntries: 0 } });
      try {
        for (const s of [a, b, fresh]) expect(((await s.read('race', 'doc')) as { tag: string }).tag).toBe(winner.tag);
        expect(((await fresh.hydrateAgent('race')).values.doc as { tag: string }).tag).toBe(winner.tag);
      } finally {
        await fresh.close();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
