import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { BRIDGE_LOCK_KEY } from './BridgeLock.js';
import { startBridge } from './startBridge.js';
import { bridgeOptions, readEvents, sql, waitForDrained, waitForEvents } from './bridgeTestKit.test.js';

const insertState = (env: Parameters<typeof sql>[0], from: number, to: number) =>
  sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version)
    SELECT 'a' || (i % 4), 'k' || i, to_jsonb(i), 0, 1 FROM generate_series($1::int, $2::int) i`, [from, to]);

describe('bridge: one active bridge per database', () => {
  it('keeps exactly one of two bridges active; the other takes over when it stops, without duplicates', async () => {
    await using env = await startTestEnv();
    const first = await startBridge(bridgeOptions(env));
    await using second = await startBridge(bridgeOptions(env));
    expect(first.status().state).toBe('active');
    expect(second.status().state).toBe('standby');

    let bothActive = 0;
    const sampler = setInterval(() => { if (first.status().active && second.status().active) bothActive++; }, 10);
    try {
      await insertState(env, 1, 40);
      await waitForDrained(env);
      await new Promise((r) => setTimeout(r, 300));
      expect(second.status().active).toBe(false);
      expect(first.status().published).toBe(40);

      await first.stop();
      expect(first.status().state).toBe('stopped');
      await vi.waitFor(() => expect(second.status().active).toBe(true), { timeout: 10_000, interval: 50 });
      await insertState(env, 41, 80);
      await waitForDrained(env);
    } finally {
      clearInterval(sampler);
      await first.stop();
    }
    expect(bothActive).toBe(0);
    const events = await waitForEvents(env.logs.agentState, 'agents.>', 80);
    expect(events).toHaveLength(80);
    expect(new Set(events.map((e) => (e.data as { state_key: string }).state_key)).size).toBe(80);
    expect(second.status().published).toBe(40);
    expect(first.status().deduplicated + second.status().deduplicated).toBe(0);
  });

  it('stops publishing when its lock connection drops, and a bridge takes over', async () => {
    await using env = await startTestEnv();
    await using a = await startBridge(bridgeOptions(env));
    await using b = await startBridge(bridgeOptions(env));
    expect([a.status().active, b.status().active]).toEqual([true, false]);
    await insertState(env, 1, 10);
    await waitForDrained(env);

    // Kill the session holding the advisory lock, as a network cut or a PostgreSQL restart would.
    const key = BRIDGE_LOCK_KEY;
    const [holder] = await sql<{ pid: number }>(env, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`, [key.toString()]);
    expect(holder).toBeDefined();
    await sql(env, 'SELECT pg_terminate_backend($1)', [holder!.pid]);
    await vi.waitFor(() => expect(a.status().active).toBe(false), { timeout: 10_000, interval: 20 });
    expect(a.status().lastError?.code).toBe('POSTGRES_UNAVAILABLE');
    await vi.waitFor(() => expect(a.status().active || b.status().active).toBe(true), { timeout: 10_000, interval: 50 });
    expect(a.status().active && b.status().active).toBe(false);

    await insertState(env, 11, 30);
    await waitForDrained(env);
    const events = await waitForEvents(env.logs.agentState, 'agents.>', 30);
    expect(events).toHaveLength(30);
    expect(new Set(events.map((e) => e.id)).size).toBe(30);
    await new Promise((r) => setTimeout(r, 300));
    expect(await readEvents(env.logs.agentState, 'agents.>')).toHaveLength(30);
  });
});
