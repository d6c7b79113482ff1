import { describe, expect, it } from 'vitest';
import { automerge, base64ToBytes, type CrdtChanges } from '@mister-smith/crdt';
import { agentKvKey } from '../config/identifiers.js';
import { startTestEnv, type TestEnv } from '../testing/index.js';
import { createStateStore } from './createStateStore.js';
import { decodeKvStateEntry } from './kvStateEntry.js';

type Notes = { items: string[] };
const notes = automerge<Notes>({ initial: { items: [] } });
const push = (item: string) => (d: Notes) => { d.items.push(item); };

/** A writer as a separate process would be: its own connection, and nothing flushed to PostgreSQL unless asked. */
async function writer(env: TestEnv, id: string) {
  const nats = await env.connect();
  return createStateStore({ nats, pg: env.pg, topology: env.topology }, { writerId: id, cache: { maxEntries: 0 }, flushThreshold: 100_000, flushIntervalMs: 3_600_000 });
}

async function concurrentPushes(stores: readonly Awaited<ReturnType<typeof writer>>[], agentId: string, count: number): Promise<string[]> {
  await Promise.all(stores.map(async (s, w) => {
    for (let i = 0; i < count; i++) await s.write(agentId, 'doc', push(`${w}-${i}`), { strategy: notes });
  }));
  return stores.flatMap((_, w) => Array.from({ length: count }, (_, i) => `${w}-${i}`));
}

const sorted = (v: unknown) => [...(v as Notes).items].sort();

describe('Automerge values: events carry changes, KV and PostgreSQL the document', () => {
  it('concurrent writers on one key: both edits survive hydration from the stream alone, and later writes from a stale writer still merge', async () => {
    await using env = await startTestEnv();
    await using a = await writer(env, 'wa');
    await using b = await writer(env, 'wb');
    const written = await concurrentPushes([a, b], 'crdt-s', 8);
    expect(await env.pg.db.selectFrom('agents.state').selectAll().where('agent_id', '=', 'crdt-s').execute()).toEqual([]);
    // A fresh store has only the stream: it rebuilds the document from the events' changes.
    await using c = await writer(env, 'wc');
    expect(sorted((await c.hydrateAgent('crdt-s')).values['doc'])).toEqual([...written].sort());
    await c.write('crdt-s', 'doc', push('c-0'), { strategy: notes });
    // `a` has not seen c's write: it catches up through c's event (changes on top of the
    // document `a` holds) and merges; nothing is lost either way.
    await a.write('crdt-s', 'doc', push('a-late'), { strategy: notes });
    const all = [...written, 'c-0', 'a-late'].sort();
    expect(sorted(await a.read('crdt-s', 'doc'))).toEqual(all);
    await using d = await writer(env, 'wd');
    expect(sorted((await d.hydrateAgent('crdt-s')).values['doc'])).toEqual(all);
  });

  it('concurrent writers on one key: both edits survive hydration from PostgreSQL, whose row holds the whole document', async () => {
    await using env = await startTestEnv();
    await using a = await writer(env, 'wa');
    await using b = await writer(env, 'wb');
    const written = await concurrentPushes([a, b], 'crdt-p', 8);
    await a.flush();
    await b.flush();
    const row = await env.pg.db.selectFrom('agents.state').selectAll().where('agent_id', '=', 'crdt-p').executeTakeFirstOrThrow();
    expect(sorted(row.state_value)).toEqual([...written].sort());
    expect(sorted(notes.read(notes.parse(row.meta)))).toEqual([...written].sort());
    const head = await a.lastSequence('crdt-p');
    expect(Number(row.version)).toBe(head); // PostgreSQL holds the newest version: nothing left to read from the stream
    await using c = await writer(env, 'wc');
    expect(sorted((await c.hydrateAgent('crdt-p')).values['doc'])).toEqual([...written].sort());
    await c.write('crdt-p', 'doc', push('c-0'), { strategy: notes });
    await b.write('crdt-p', 'doc', push('b-late'), { strategy: notes });
    expect(sorted(await b.read('crdt-p', 'doc'))).toEqual([...written, 'c-0', 'b-late'].sort());
  });

  it('hydration rebuilds a document whose versions PostgreSQL skipped (another writer has not flushed them) from the stream', async () => {
    await using env = await startTestEnv();
    await using a = await writer(env, 'wa');
    await using b = await writer(env, 'wb');
    await a.write('crdt-g', 'doc', push('a-1'), { strategy: notes });
    await a.flush();
    // b's two writes stay in b's write-behind; a flushes a newer version of another key after them.
    await b.write('crdt-g', 'doc', push('b-1'), { strategy: notes });
    await b.write('crdt-g', 'doc', push('b-2'), { strategy: notes });
    await a.write('crdt-g', 'other', 1);
    await a.flush();
    // a's next write carries the changes since b-2, which PostgreSQL does not hold.
    await a.write('crdt-g', 'doc', push('a-2'), { strategy: notes });
    const rows = await env.pg.db.selectFrom('agents.state').select(['state_key', 'state_value']).where('agent_id', '=', 'crdt-g').orderBy('state_key').execute();
    expect(rows.map((r) => [r.state_key, r.state_key === 'doc' ? sorted(r.state_value) : r.state_value])).toEqual([['doc', ['a-1']], ['other', 1]]);
    await using c = await writer(env, 'wc');
    expect(sorted((await c.hydrateAgent('crdt-g')).values['doc'])).toEqual(['a-1', 'a-2', 'b-1', 'b-2']);
    await c.write('crdt-g', 'doc', push('c-1'), { strategy: notes });
    await b.write('crdt-g', 'doc', push('b-3'), { strategy: notes });
    expect(sorted(await b.read('crdt-g', 'doc'))).toEqual(['a-1', 'a-2', 'b-1', 'b-2', 'b-3', 'c-1']);
  });

  it('an event carries the changes of its write, not the document: its size stays flat while the document in KV grows', async () => {
    await using env = await startTestEnv();
    await using store = await writer(env, 'w1');
    const status = automerge<{ status: string; items: string[] }>({ initial: { status: '', items: [] } });
    const sizes: { event: number; changes: number; kv: number }[] = [];
    for (let i = 0; i < 60; i++) {
      // Each write replaces a 100-character field and appends one item.
      const w = await store.write('crdt-size', 'doc', (d: { status: string; items: string[] }) => { d.status = `${i} `.padEnd(100, '.'); d.items.push(`item ${i}`); }, { strategy: status });
      const msg = await env.nats.jsm.streams.getMessage(env.topology.streams.agentState.name, { seq: w.version.seq });
      const data = JSON.parse(new TextDecoder().decode(msg!.data)) as { data: { stored: CrdtChanges; value: unknown } };
      const kv = await (await env.bucket('agentState')).get(agentKvKey('crdt-size', 'doc'));
      sizes.push({ event: msg!.data.length, changes: base64ToBytes(data.data.stored.changes).byteLength, kv: kv!.value.length });
      if (i === 59) {
        expect(data.data.stored.since.length).toBeGreaterThan(0);
        expect((decodeKvStateEntry(kv!.key, kv!.value).stored as { doc?: unknown }).doc).toEqual(expect.any(String));
      }
    }
    const [second, last] = [sizes[1]!, sizes[59]!];
    // The change of one write is about the same size at write 60 as at write 2 ...
    expect(last.changes).toBeLessThan(second.changes * 1.5);
    // ... while KV holds the document, 60 writes of history.
    expect(last.kv).toBeGreaterThan(8 * last.changes);
    expect(last.kv).toBeGreaterThan(2 * last.event);
    // The event is the value plus the change: what it grows by is the item appended to the value.
    expect(last.event - second.event).toBeLessThan(60 * 16);
  });
});
