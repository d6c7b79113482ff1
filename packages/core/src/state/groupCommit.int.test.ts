import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import type { KvStore } from '../kv/KvStore.js';
import { startTestEnv, testServers } from '../testing/index.js';
import { sleep } from '../util/sleep.js';
import { createStateStore } from './createStateStore.js';
import { openStateStoreParts } from './openStateStoreParts.js';

/**
 * The AGENT_STATE bucket with a gate in front of its writes: while the gate is closed, every KV
 * write waits (as one does behind a slow or re-elected KV stream leader); reads and the watch go on.
 */
function gatedKv(kv: KvStore): { kv: KvStore; close(): void; open(): void; readonly waiting: number } {
  let gate: { promise: Promise<void>; release: () => void } | undefined;
  let waiting = 0;
  const gated = new Set<PropertyKey>(['put', 'create', 'update', 'cas']);
  const proxy = new Proxy(kv, {
    get(target, prop) {
      const member = Reflect.get(target, prop, target) as unknown;
      if (typeof member !== 'function') return member;
      const bound = (member as (...a: unknown[]) => unknown).bind(target);
      if (!gated.has(prop)) return bound;
      return async (...args: unknown[]) => {
        while (gate) {
          waiting++;
          try { await gate.promise; } finally { waiting--; }
        }
        return bound(...args);
      };
    },
  });
  return {
    kv: proxy,
    close() {
      if (gate) return;
      let release!: () => void;
      gate = { promise: new Promise<void>((r) => { release = r; }), release };
    },
    open() {
      const g = gate;
      gate = undefined;
      g?.release();
    },
    get waiting() { return waiting; },
  };
}

interface Acked { readonly agentId: string; readonly key: string; readonly seq: number; readonly afterCut: boolean }

describe('group commit (durability postgres): acknowledged only with the row committed', () => {
  it('acknowledges no PostgreSQL-durable write once PostgreSQL refuses connections (writes in flight get COMMITTED_NOT_FLUSHED), and none without its committed row', async () => {
    await using env = await startTestEnv();
    const dbName = new URL(env.databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: testServers().adminDatabaseUrl });
    await admin.connect();
    const parts = await openStateStoreParts(env);
    const gate = gatedKv(parts.kv);
    // No flush of its own accord during the test: every commit is one a write asked for.
    const store = await createStateStore({ ...parts, kv: gate.kv }, { writerId: 'gc', durability: 'postgres', flushThreshold: 10_000, flushIntervalMs: 600_000 });
    const agents = Array.from({ length: 8 }, (_, i) => `gc${i}`);
    const acked: Acked[] = [];
    const rejectedAfterCut = new Map<string, number>();
    const acksBy = new Map<string, number>();
    let cut = false;
    let stopped = false;
    const loops = agents.map(async (agentId) => {
      for (let n = 1; !stopped; n++) {
        const key = `k${n % 2}`;
        try {
          const r = await store.write(agentId, key, { n });
          acked.push({ agentId, key, seq: r.version.seq, afterCut: cut });
          acksBy.set(agentId, (acksBy.get(agentId) ?? 0) + 1);
        } catch (e) {
          if (!cut) throw e;
          const code = MisterSmithError.is(e) ? e.code : `UNTYPED:${(e as Error)?.message}`;
          rejectedAfterCut.set(code, (rejectedAfterCut.get(code) ?? 0) + 1);
          await sleep(20);
        }
      }
    });
    try {
      await expect.poll(() => agents.every((a) => (acksBy.get(a) ?? 0) >= 3), { timeout: 20_000 }).toBe(true);
      // Every writer stops with its next write's KV update held back...
      gate.close();
      await expect.poll(() => gate.waiting, { timeout: 20_000 }).toBe(agents.length);
      // ...and whatever the write-behind holds by then is committed, as a group commit or a timer would.
      await store.flush();
      await admin.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
      cut = true;
      gate.open();
      // The held writes and the ones after them meet a PostgreSQL that refuses connections.
      await expect.poll(() => [...rejectedAfterCut.values()].reduce((a, b) => a + b, 0), { timeout: 30_000 }).toBeGreaterThanOrEqual(2 * agents.length);
      stopped = true;
      await Promise.all(loops);
      // Closed while PostgreSQL is still away: nothing can commit after this point.
      await store.close();
    } finally {
      stopped = true;
      gate.open();
      await Promise.allSettled(loops);
      await store.close();
      await admin.query(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }

    const rows = await env.pg.db.selectFrom('agents.state').select(['agent_id', 'state_key', 'version']).execute();
    const missing = acked.filter((a) => (rows.find((r) => r.agent_id === a.agentId && r.state_key === a.key)?.version ?? 0) < a.seq);
    console.log(`group commit with PostgreSQL cut mid-run: ${acked.length} writes acknowledged (${acked.filter((a) => a.afterCut).length} after the cut), ` +
      `rejected after the cut ${JSON.stringify(Object.fromEntries(rejectedAfterCut))}, acknowledged without their row: ${missing.length}`);
    expect(acked.filter((a) => a.afterCut)).toEqual([]);
    expect(Object.keys(Object.fromEntries(rejectedAfterCut))).toEqual(['COMMITTED_NOT_FLUSHED']);
    expect(missing).toEqual([]);
  });
});
