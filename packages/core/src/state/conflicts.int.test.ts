import { describe, expect, it } from 'vitest';
import { automerge, vectorClock } from '@mister-smith/crdt';
import { startTestEnv, type TestEnv } from '../testing/index.js';
import { createStateStore } from './createStateStore.js';
import type { ConflictNotice } from './StateStore.js';

const WRITERS = 4;
const WRITES = 15;

/** One state store per writer, each on its own NATS connection (as separate processes would be). */
async function writers(env: TestEnv) {
  return Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
    const nats = await env.connect();
    return createStateStore({ nats, pg: env.pg, topology: env.topology }, { writerId: `w${w}`, cache: { maxEntries: 0 } });
  }));
}

/** Runs every writer's sequence concurrently, with random pauses so the interleaving differs each run. */
async function hammer(count: number, write: (w: number, i: number) => Promise<unknown>) {
  await Promise.all(Array.from({ length: count }, async (_, w) => {
    for (let i = 0; i < WRITES; i++) {
      await write(w, i);
      if (Math.random() < 0.3) await new Promise((r) => setTimeout(r, Math.random() * 3));
    }
  }));
}

describe('conflict strategies under real concurrency', () => {
  it('shared bucket, LWW: every reader sees one value, the write with the greatest stamp (a last write)', async () => {
    await using env = await startTestEnv({ migrate: true });
    const stores = await writers(env);
    const buckets = await Promise.all(stores.map((s) => s.shared('agentConfig')));
    await hammer(WRITERS, (w, i) => buckets[w]!.saveState('k-lww', { w, i }, { strategy: 'lww' }));
    const seen = await Promise.all(buckets.map((b) => b.getState('k-lww')));
    expect(new Set(seen.map((v) => JSON.stringify(v))).size).toBe(1);
    expect((seen[0] as { i: number }).i).toBe(WRITES - 1);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('shared bucket, vector clocks: no concurrent write is silently dropped', async () => {
    await using env = await startTestEnv();
    const stores = await writers(env);
    const buckets = await Promise.all(stores.map((s) => s.shared('agentConfig')));
    const strategy = vectorClock({ onConcurrent: 'siblings' });
    const notices: ConflictNotice[] = [];
    stores.forEach((s) => s.onConflict((n) => notices.push(n)));
    const mergedSaves: string[] = [];
    await hammer(WRITERS, async (w, i) => {
      const r = await buckets[w]!.saveState('k-vc', { w, i }, { strategy });
      if (r.merged) mergedSaves.push(`w${w}`);
    });
    // Four writers on one key lose compare-and-set races: each lost race whose prepared write was
    // concurrent with the newer entry was merged, and reported once, naming its writer.
    expect(mergedSaves.length, 'writes that lost a race and were merged').toBeGreaterThan(0);
    expect(notices.map((n) => n.writers.join()).sort()).toEqual([...mergedSaves].sort());
    for (const n of notices) {
      expect(n).toMatchObject({ strategy: 'vclock', key: `${buckets[0]!.bucket}/k-vc` });
      expect(['siblings', 'merged', 'kept-current']).toContain(n.outcome);
    }
    expect(notices.some((n) => n.outcome === 'siblings'), 'a concurrent write kept as a sibling').toBe(true);
    const kv = await env.bucket('agentConfig');
    const raw = JSON.parse(new TextDecoder().decode((await kv.get('k-vc'))!.value)) as { stored: { siblings: { clock: Record<string, number> }[] } };
    // Every writer's last write survives, as a sibling or inside a version that causally saw it.
    for (let w = 0; w < WRITERS; w++) {
      expect(raw.stored.siblings.some((s) => (s.clock[`w${w}`] ?? 0) >= WRITES), `writer w${w}`).toBe(true);
    }
    const seen = await Promise.all(buckets.map((b) => b.getState('k-vc')));
    expect(new Set(seen.map((v) => JSON.stringify(v))).size).toBe(1);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('shared bucket, Automerge: the merge holds every writer’s changes', async () => {
    await using env = await startTestEnv();
    const stores = await writers(env);
    const buckets = await Promise.all(stores.map((s) => s.shared('agentConfig')));
    const notes = automerge<{ items: string[] }>({ initial: { items: [] } });
    const notices: ConflictNotice[] = [];
    stores.forEach((s) => s.onConflict((n) => notices.push(n)));
    const mergedSaves: string[] = [];
    await hammer(WRITERS, async (w, i) => {
      const r = await buckets[w]!.saveState('k-doc', (d: { items: string[] }) => { d.items.push(`${w}-${i}`); }, { strategy: notes });
      if (r.merged) mergedSaves.push(`w${w}`);
    });
    const seen = await Promise.all(buckets.map((b) => b.getState('k-doc'))) as { items: string[] }[];
    const expected = Array.from({ length: WRITERS }, (_, w) => Array.from({ length: WRITES }, (_, i) => `${w}-${i}`)).flat().sort();
    for (const v of seen) expect([...v.items].sort()).toEqual(expected);
    // Races were lost and merged (not re-prepared), each reported once as a CRDT merge by its writer.
    expect(mergedSaves.length, 'writes that lost a race and were merged').toBeGreaterThan(0);
    expect(notices.map((n) => n.writers.join()).sort()).toEqual([...mergedSaves].sort());
    expect(notices.every((n) => n.strategy === 'crdt' && n.outcome === 'merged' && n.key === `${buckets[0]!.bucket}/k-doc`)).toBe(true);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('agent state, LWW read-modify-write through the stream: no increment is lost', async () => {
    await using env = await startTestEnv();
    const stores = await writers(env);
    await hammer(WRITERS, (w) => stores[w]!.write('shared-agent', 'count', (n: number | undefined) => (n ?? 0) + 1));
    for (const s of stores) expect(await s.read('shared-agent', 'count')).toBe(WRITERS * WRITES);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('agent state, Automerge: concurrent writers through the stream converge with every item', async () => {
    await using env = await startTestEnv();
    const stores = await writers(env);
    const notes = automerge<{ items: string[] }>({ initial: { items: [] } });
    await hammer(WRITERS, (w, i) => stores[w]!.write('doc-agent', 'doc', (d: { items: string[] }) => { d.items.push(`${w}-${i}`); }, { strategy: notes }));
    const expected = Array.from({ length: WRITERS }, (_, w) => Array.from({ length: WRITES }, (_, i) => `${w}-${i}`)).flat().sort();
    for (const s of stores) expect([...((await s.read('doc-agent', 'doc')) as { items: string[] }).items].sort()).toEqual(expected);
    await stores[0]!.flush();
    for (const s of stores.slice(1)) await s.flush();
    const row = await env.pg.db.selectFrom('agents.state').selectAll().where('agent_id', '=', 'doc-agent').executeTakeFirstOrThrow();
    expect([...(row.state_value as { items: string[] }).items].sort()).toEqual(expected);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('a corrupt shared entry is a typed error naming the key and does not poison other keys', async () => {
    await using env = await startTestEnv();
    const [store] = await writers(env);
    const bucket = await store!.shared('agentConfig');
    const kv = await env.bucket('agentConfig');
    await bucket.saveState('fine', 1);
    for (const garbage of ['{not json', JSON.stringify({ strategy: 'lww', stored: { s: 'lww' } }), JSON.stringify({ strategy: 'crdt', stored: { s: 'crdt', doc: 'AAAA' } })]) {
      await kv.put('broken', garbage);
      const e = await bucket.getState('broken').catch((x: unknown) => x) as { code?: string; details?: { key?: string } };
      expect(e.code).toBe('CORRUPT_ENTRY');
      expect(e.details?.key).toBe('broken');
      const w = await bucket.saveState('broken', 2).catch((x: unknown) => x) as { code?: string };
      expect(w.code).toBe('CORRUPT_ENTRY');
    }
    expect(await bucket.getState('fine')).toBe(1);
    await store!.close();
  });
});
