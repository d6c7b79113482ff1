import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { outboxEventId, outboxMsgId } from './outboxEventId.js';
import { startBridge } from './startBridge.js';
import { bridgeOptions, outboxRows, readEvents, sql, waitForDrained } from './bridgeTestKit.test.js';

describe('bridge: restarts and retention', () => {
  it('deduplicates rows re-published after a crash between publish and mark (same Nats-Msg-Id)', async () => {
    await using env = await startTestEnv();
    await sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version)
      SELECT 'a1', 'k' || i, to_jsonb(i), 0, 1 FROM generate_series(1, 10) i`);
    const first = await startBridge(bridgeOptions(env));
    await waitForDrained(env);
    await first.stop();
    const before = await readEvents(env.logs.agentState, 'agents.>');
    expect(before).toHaveLength(10);

    // As if the bridge died after the acks but before marking the rows.
    await sql(env, 'UPDATE mister_smith.outbox SET published_at = NULL');
    await using second = await startBridge(bridgeOptions(env));
    await waitForDrained(env);
    expect(second.status()).toMatchObject({ published: 10, deduplicated: 10 });
    const after = await readEvents(env.logs.agentState, 'agents.>');
    expect(after.map((r) => r.seq)).toEqual(before.map((r) => r.seq));
    expect((await env.logs.agentState.bounds()).messages).toBe(10);

    const [{ sys }] = (await sql<{ sys: string }>(env, 'SELECT system_identifier::text AS sys FROM pg_control_system()')) as [{ sys: string }];
    const rows = await outboxRows(env);
    for (const [i, rec] of after.entries()) {
      const row = rows[i]!;
      const stored = await env.nats.jsm.streams.getMessage(env.topology.streams.agentState.name, { seq: rec.seq });
      expect(stored!.header.get('Nats-Msg-Id')).toBe(outboxMsgId(sys, row.id));
      expect(rec.event.id).toBe(outboxEventId(outboxMsgId(sys, row.id), row.created_at));
    }
  });

  it('prunes published rows after the retention, and only published ones', async () => {
    await using env = await startTestEnv();
    await using bridge = await startBridge(bridgeOptions(env, { retentionMs: 0, pruneIntervalMs: 50 }));
    await sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version)
      SELECT 'a1', 'k' || i, to_jsonb(i), 0, 1 FROM generate_series(1, 20) i`);
    await vi.waitFor(async () => expect(await outboxRows(env)).toHaveLength(0), { timeout: 10_000, interval: 100 });
    expect(await readEvents(env.logs.agentState, 'agents.>')).toHaveLength(20);
    expect(bridge.status().published).toBe(20);
  });

  it('reports depth and the oldest unpublished age while stopped-over rows wait, and zero once drained', async () => {
    await using env = await startTestEnv();
    await sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ('a1', 'k', '1', 0, 1)`);
    await new Promise((r) => setTimeout(r, 50));
    // A standby bridge measures the outbox too: hold the lock elsewhere so it cannot publish.
    const holder = await env.pg.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [(await import('./BridgeLock.js')).BRIDGE_LOCK_KEY.toString()]);
      await using bridge = await startBridge(bridgeOptions(env));
      expect(bridge.status().state).toBe('standby');
      await vi.waitFor(() => expect(bridge.status().depth).toBe(1), { timeout: 5000, interval: 50 });
      expect(bridge.status().oldestUnpublishedAgeMs).toBeGreaterThan(0);
      const metrics = await bridge.registry.metrics();
      expect(metrics).toMatch(/mister_smith_bridge_outbox_depth 1/);
      expect(metrics).toMatch(/mister_smith_bridge_oldest_unpublished_age_seconds \d/);
      await holder.query('SELECT pg_advisory_unlock_all()');
      await vi.waitFor(() => expect(bridge.status()).toMatchObject({ active: true, depth: 0, oldestUnpublishedAgeMs: 0, published: 1 }), { timeout: 10_000, interval: 50 });
      expect(await bridge.registry.metrics()).toMatch(/mister_smith_bridge_published_total\{stream="[A-Z0-9_]+_AGENT_STATE"\} 1/);
    } finally {
      holder.release(true);
    }
  });
});
