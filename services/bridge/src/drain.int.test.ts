import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { startBridge } from './startBridge.js';
import { bridgeOptions, keepTaskEvents, outboxRows, readEvents, sql, waitForDrained, waitForEvents } from './bridgeTestKit.test.js';

describe('bridge: changes made while it was stopped', () => {
  it('publishes all 50 changes after it starts, in order, exactly once', async () => {
    await using env = await startTestEnv();
    await keepTaskEvents(env);
    // 50 changes while no bridge runs: 10 task inserts, 10 starts, 5 completions, 15 state inserts, 10 state updates.
    const tasks = await sql<{ task_id: string }>(env, `INSERT INTO tasks.queue (task_type, assigned_agent_id, payload)
      SELECT 'job', 'agent-' || (i % 3), jsonb_build_object('n', i) FROM generate_series(1, 10) i RETURNING task_id`);
    for (const [i, t] of tasks.entries()) {
      await sql(env, `UPDATE tasks.queue SET status = 'running', attempts = attempts + 1 WHERE task_id = $1`, [t.task_id]);
      await sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ($1, $2, $3, 0, 1)`, [`agent-${i % 3}`, `k${i}`, JSON.stringify({ v: i })]);
      if (i < 5) await sql(env, `UPDATE tasks.queue SET status = 'completed', result = '{"ok":true}' WHERE task_id = $1`, [t.task_id]);
    }
    await sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) SELECT 'agent-9', 'x' || i, to_jsonb(i), 0, 1 FROM generate_series(1, 5) i`);
    await sql(env, `UPDATE agents.state SET state_value = jsonb_build_object('edited', true), version = version + 1 WHERE state_key LIKE 'k%'`);
    const rows = await outboxRows(env);
    expect(rows).toHaveLength(50);

    await using bridge = await startBridge(bridgeOptions(env));
    expect(bridge.status().active).toBe(true);
    await waitForDrained(env);

    const expectOf = (prefix: string) => rows.filter((r) => r.subject.startsWith(prefix)).map((r) => ({ subject: r.subject, type: r.event_type, data: r.payload }));
    const taskEvents = await waitForEvents(env.logs.taskExecution, 'tasks.>', 25);
    const stateEvents = await waitForEvents(env.logs.agentState, 'agents.>', 25);
    expect(taskEvents.map((e) => ({ subject: e.subject, type: e.type, data: e.data }))).toEqual(expectOf('tasks.'));
    expect(stateEvents.map((e) => ({ subject: e.subject, type: e.type, data: e.data }))).toEqual(expectOf('agents.'));
    expect(stateEvents.every((e) => e.agentId === (e.data as { agent_id: string }).agent_id)).toBe(true);
    expect(taskEvents.every((e) => e.agentId === (e.data as { assigned_agent_id: string }).assigned_agent_id)).toBe(true);
    expect(new Set([...taskEvents, ...stateEvents].map((e) => e.id)).size).toBe(50);
    expect(bridge.status()).toMatchObject({ published: 50, deduplicated: 0, deadLettered: 0 });

    // Nothing more arrives on later rounds.
    await new Promise((r) => setTimeout(r, 600));
    expect(await readEvents(env.logs.taskExecution, 'tasks.>')).toHaveLength(25);
    expect(await readEvents(env.logs.agentState, 'agents.>')).toHaveLength(25);
  });
});
