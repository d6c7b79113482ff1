import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { startBridge } from './startBridge.js';
import { bridgeOptions, keepTaskEvents, waitForDrained, waitForEvents } from './bridgeTestKit.test.js';

describe('bridge: transactions committing out of id order', () => {
  it('publishes a row that commits after a later id was already published (no high-water mark)', async () => {
    await using env = await startTestEnv();
    await keepTaskEvents(env);
    await using bridge = await startBridge(bridgeOptions(env));
    const slow = await env.pg.connect();
    const fast = await env.pg.connect();
    try {
      // `slow` takes outbox ids first but commits last.
      await slow.query('BEGIN');
      await slow.query(`INSERT INTO tasks.queue (task_type) VALUES ('slow-1')`);
      await slow.query(`INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ('a1', 'k', '"slow"', 0, 1)`);
      await fast.query('BEGIN');
      await fast.query(`INSERT INTO tasks.queue (task_type) VALUES ('fast-1'), ('fast-2')`);
      await fast.query('COMMIT');
      const early = await waitForEvents(env.logs.taskExecution, 'tasks.>', 2);
      expect(early.map((e) => (e.data as { task_type: string }).task_type)).toEqual(['fast-1', 'fast-2']);

      await slow.query(`INSERT INTO tasks.queue (task_type) VALUES ('slow-2')`);
      await slow.query('COMMIT');
      const all = await waitForEvents(env.logs.taskExecution, 'tasks.>', 4);
      expect(all.map((e) => (e.data as { task_type: string }).task_type)).toEqual(['fast-1', 'fast-2', 'slow-1', 'slow-2']);
      const state = await waitForEvents(env.logs.agentState, 'agents.>', 1);
      expect(state.map((e) => (e.data as { new_value: unknown }).new_value)).toEqual(['slow']);
      await waitForDrained(env);
      expect(bridge.status().published).toBe(5);
    } finally {
      await slow.query('ROLLBACK').catch(() => undefined);
      slow.release();
      fast.release();
    }
  });

  it('keeps every row of many concurrent writers, each key in its commit order', async () => {
    await using env = await startTestEnv();
    await using bridge = await startBridge(bridgeOptions(env));
    // 8 writers, 25 updates each, racing on 4 shared keys.
    await env.pg.withClient((c) => c.query(`INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version)
      SELECT 'shared', 'k' || i, '0', 0, 0 FROM generate_series(0, 3) i`));
    await Promise.all(Array.from({ length: 8 }, (_, w) => (async () => {
      for (let i = 0; i < 25; i++) {
        await env.pg.withClient((c) => c.query(`UPDATE agents.state SET state_value = to_jsonb(version + 1), version = version + 1 WHERE agent_id = 'shared' AND state_key = $1`, [`k${(w + i) % 4}`]));
      }
    })()));
    await waitForDrained(env);
    const events = await waitForEvents(env.logs.agentState, 'agents.state.shared', 204);
    expect(events).toHaveLength(204);
    for (let k = 0; k < 4; k++) {
      const versions = events.map((e) => e.data as { state_key: string; version: number }).filter((d) => d.state_key === `k${k}`).map((d) => d.version);
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i));
    }
    expect(bridge.status().published).toBe(204);
  });
});
