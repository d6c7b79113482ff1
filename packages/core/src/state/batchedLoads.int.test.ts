import type { KyselyPlugin } from 'kysely';
import type pg from 'pg';
import type { DatabaseHandle } from '../pg/createDatabase.js';
import { describe, expect, it } from 'vitest';
import { startTestEnv, type TestEnv } from '../testing/index.js';
import type { NatsHandle } from '../nats/connectNats.js';
import { frameworkTransaction } from '../pg/createDatabase.js';
import { upsertStateRows } from '../pg/upsertStateRows.js';
import { createStateStore } from './createStateStore.js';

/**
 * Round trips counted on the real clients: NATS messages the store's own connection sends
 * (`nc.stats().outMsgs`: one per request), and statements its PostgreSQL handle runs (a kysely
 * plugin on the real pool that counts each query it compiles, and the queries of pool clients).
 */
async function countedStore(env: TestEnv) {
  const nats: NatsHandle = await env.connect();
  const counts = { statements: [] as string[] };
  const plugin: KyselyPlugin = {
    transformQuery: (args) => { counts.statements.push(args.node.kind); return args.node; },
    transformResult: async (args) => args.result,
  };
  // Statements on a client of the pool (prepared ones the repository runs with `withClient`) count too.
  const counted = (client: pg.PoolClient) => new Proxy(client, {
    get(target, prop) {
      if (prop === 'query') return (...args: unknown[]) => { counts.statements.push('client.query'); return (target.query as (...a: unknown[]) => unknown)(...args); };
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const handle: DatabaseHandle = { ...env.pg, db: env.pg.db.withPlugin(plugin), withClient: (fn) => env.pg.withClient((c) => fn(counted(c))) };
  const store = await createStateStore({ nats, pg: handle, topology: env.topology }, { watch: false, cache: { maxEntries: 0 } });
  return {
    store,
    /** NATS requests and PostgreSQL statements `fn` made. */
    async roundTrips(fn: () => Promise<unknown>): Promise<{ nats: number; pg: number }> {
      const before = nats.nc.stats().outMsgs;
      counts.statements.length = 0;
      await fn();
      return { nats: nats.nc.stats().outMsgs - before, pg: counts.statements.length };
    },
    close: () => store.close(),
  };
}

describe('state store: batched loads (readAll, hydration)', () => {
  it('readAll is one PostgreSQL statement and one stream request, and still sees writes PostgreSQL does not have yet', async () => {
    await using env = await startTestEnv();
    // A writer that flushes only when told: its later writes are in the stream, not in PostgreSQL.
    const writer = await createStateStore(env, { flushThreshold: 10_000, flushIntervalMs: 600_000 });
    const reader = await countedStore(env);
    try {
      await writer.write('ra1', 'a', 1);
      await writer.write('ra1', 'b', { nested: true });
      await writer.write('ra1', 'gone', 'x');
      await writer.delete('ra1', 'gone');
      await writer.flush();
      let all: Record<string, unknown> = {};
      expect(await reader.roundTrips(async () => { all = await reader.store.readAll('ra1'); })).toEqual({ nats: 1, pg: 1 });
      expect(all).toEqual({ a: 1, b: { nested: true } });

      // Acknowledged but not flushed: the stream tail after PostgreSQL's newest row.
      await writer.write('ra1', 'a', 2);
      await writer.write('ra1', 'c', 'new');
      await writer.delete('ra1', 'b');
      const rt = await reader.roundTrips(async () => { all = await reader.store.readAll('ra1'); });
      expect(all).toEqual({ a: 2, c: 'new' });
      expect(rt.pg).toBe(1);
      expect(await reader.store.readAll('nobody')).toEqual({});
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('concurrent hydrations share one PostgreSQL statement and each agent gets exactly its own state, stream tails newer than PostgreSQL included', async () => {
    await using env = await startTestEnv();
    const writer = await createStateStore(env, { flushThreshold: 10_000, flushIntervalMs: 600_000 });
    const agents = Array.from({ length: 24 }, (_, i) => `bh${i}`);
    const expected = new Map<string, Record<string, unknown>>();
    try {
      for (const [i, id] of agents.entries()) {
        // Every agent has its own values; i % 4 picks where they live.
        const kind = i % 4;
        if (kind === 3) { expected.set(id, {}); continue; } // never written
        if (kind !== 2) { // 0: PostgreSQL only, 1: PostgreSQL and a newer stream tail
          await writer.write(id, 'n', i);
          await writer.write(id, 'name', `agent-${i}`);
        }
        expected.set(id, kind === 2 ? {} : { n: i, name: `agent-${i}` });
      }
      await writer.flush();
      for (const [i, id] of agents.entries()) {
        if (i % 4 === 1) { // flushed rows, then writes only the stream has
          await writer.write(id, 'n', i * 100);
          await writer.delete(id, 'name');
          await writer.write(id, 'extra', [i]);
          expected.set(id, { n: i * 100, extra: [i] });
        }
        if (i % 4 === 2) { // the stream only
          await writer.write(id, 'only', `stream-${i}`);
          expected.set(id, { only: `stream-${i}` });
        }
      }
      const fresh = await countedStore(env);
      try {
        let reports: Awaited<ReturnType<typeof fresh.store.hydrateAgent>>[] = [];
        const rt = await fresh.roundTrips(async () => { reports = await Promise.all(agents.map((id) => fresh.store.hydrateAgent(id))); });
        for (const [i, id] of agents.entries()) {
          expect(reports[i]!.agentId).toBe(id);
          expect(reports[i]!.values, id).toEqual(expected.get(id));
          expect(reports[i]!.repaired, id).toBe(i % 4 === 1 ? 3 : i % 4 === 2 ? 1 : 0);
        }
        // The rows of all 24 agents came in one statement (or two, when the first left before the rest were asked for).
        expect(rt.pg).toBeLessThanOrEqual(2);
        // Hydration filled KV: a reader gets the same values from there.
        for (const id of agents) expect(await fresh.store.readAll(id), id).toEqual(expected.get(id));
        const kv = await env.bucket('agentState');
        expect(JSON.parse(new TextDecoder().decode((await kv.get('bh1.extra'))!.value)).value).toEqual([1]);
        // A deleted key goes to KV as a versioned tombstone (never resurrected by an older write).
        expect(JSON.parse(new TextDecoder().decode((await kv.get('bh1.name'))!.value))).toMatchObject({ tombstone: true });
      } finally {
        await fresh.close();
      }
    } finally {
      await writer.close();
    }
  });

  it('a COLD agent hydrates in one PostgreSQL statement, one stream request and one KV create per key', async () => {
    await using env = await startTestEnv();
    // PostgreSQL alone has the agent (rows written there directly): no event on its subject, nothing in KV.
    const epoch = await env.logs.agentState.epoch();
    await frameworkTransaction(env.pg.db, (trx) => upsertStateRows(trx, [
      { agentId: 'cold1', stateKey: 'a', value: 1, stored: null, epoch, seq: 1, strategy: 'lww' },
      { agentId: 'cold1', stateKey: 'b', value: 2, stored: null, epoch, seq: 2, strategy: 'lww' },
    ]));
    const fresh = await countedStore(env);
    try {
      let report: Awaited<ReturnType<typeof fresh.store.hydrateAgent>> | undefined;
      const rt = await fresh.roundTrips(async () => { report = await fresh.store.hydrateAgent('cold1'); });
      expect(report).toMatchObject({ keys: 2, hydrated: 2, head: 0, values: { a: 1, b: 2 } });
      expect(rt).toEqual({ nats: 1 + 2, pg: 1 });
      // Hydrating again finds KV current: a read per key, no write.
      const again = await fresh.roundTrips(async () => { report = await fresh.store.hydrateAgent('cold1'); });
      expect(report).toMatchObject({ hydrated: 0, alreadyInKv: 2 });
      expect(again.pg).toBe(1);
    } finally {
      await fresh.close();
    }
  });
});
