import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { OUTBOX_PAYLOADS_TABLE } from './OutboxStore.js';
import { startBridge } from './startBridge.js';
import { bridgeOptions, keepTaskEvents, sql, waitForDrained, waitForEvents } from './bridgeTestKit.test.js';

/** A JSON value of about `bytes` bytes, nested and varied so nothing compresses it into sameness. */
function bigValue(bytes: number, seed: string) {
  const items = Array.from({ length: Math.ceil(bytes / 100) }, (_, i) => ({ i, s: `${seed}-${i}-${'x'.repeat(70)}`, ok: i % 2 === 0 }));
  return { seed, items, nested: { deep: { list: items.slice(0, 3) } } };
}

describe('bridge: large values', () => {
  it('carries a 100 KB jsonb value intact on both streams', async () => {
    await using env = await startTestEnv();
    await keepTaskEvents(env);
    await using bridge = await startBridge(bridgeOptions(env));
    const value = bigValue(100 * 1024, 'state');
    const payload = bigValue(100 * 1024, 'task');
    expect(JSON.stringify(value).length).toBeGreaterThan(100 * 1024);
    await sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ('big', 'doc', $1, 0, 1)`, [JSON.stringify(value)]);
    await sql(env, `INSERT INTO tasks.queue (task_type, payload) VALUES ('big', $1)`, [JSON.stringify(payload)]);
    const [state] = await waitForEvents(env.logs.agentState, 'agents.>', 1);
    const [task] = await waitForEvents(env.logs.taskExecution, 'tasks.>', 1);
    expect((state!.data as { new_value: unknown }).new_value).toEqual(value);
    expect((task!.data as { payload: unknown }).payload).toEqual(payload);
    expect(bridge.status().byReference).toBe(0);
  });

  it('publishes a value over the message size limit by reference, never truncated', async () => {
    await using env = await startTestEnv();
    await using bridge = await startBridge(bridgeOptions(env));
    const value = bigValue(1536 * 1024, 'huge'); // over NATS max_payload (1 MB) and AGENT_STATE max_msg_size
    await sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ('big', 'doc', $1, 0, 7)`, [JSON.stringify(value)]);
    await sql(env, `UPDATE agents.state SET state_value = '"small again"', version = 8 WHERE agent_id = 'big'`);
    await waitForDrained(env);
    const [ref, next] = await waitForEvents(env.logs.agentState, 'agents.>', 2);
    const data = ref!.data as Record<string, unknown> & { ref: { table: string; id: number }; size: number };
    expect(ref!.type).toBe('StateEditedInSql');
    expect(ref!.agentId).toBe('big');
    expect(data).toMatchObject({ truncated: false, operation: 'INSERT', agent_id: 'big', state_key: 'doc', version: 7, ref: { table: OUTBOX_PAYLOADS_TABLE } });
    expect(data.omitted).toContain('new_value');
    expect(data.new_value).toBeUndefined();
    expect(data.size).toBeGreaterThan(1024 * 1024);
    const [stored] = await sql<{ payload: { new_value: unknown } }>(env, `SELECT payload FROM ${OUTBOX_PAYLOADS_TABLE} WHERE outbox_id = $1`, [data.ref.id]);
    expect(stored!.payload.new_value).toEqual(value);
    // The update that follows it (old_value is the huge one) goes by reference too, in order.
    expect((next!.data as { version: number; ref?: unknown }).version).toBe(8);
    expect(bridge.status()).toMatchObject({ byReference: 2, published: 2, deadLettered: 0 });
  });

  it('honours a lower maxInlineBytes threshold', async () => {
    await using env = await startTestEnv();
    await keepTaskEvents(env);
    await using bridge = await startBridge(bridgeOptions(env, { maxInlineBytes: 4096 }));
    const payload = bigValue(10 * 1024, 'mid');
    const [t] = await sql<{ task_id: string }>(env, `INSERT INTO tasks.queue (task_type, payload, assigned_agent_id) VALUES ('mid', $1, 'agent-1') RETURNING task_id`, [JSON.stringify(payload)]);
    const [ev] = await waitForEvents(env.logs.taskExecution, 'tasks.>', 1);
    expect(ev!.subject).toBe(`tasks.created.${t!.task_id}`);
    expect(ev!.agentId).toBe('agent-1');
    expect(ev!.data).toMatchObject({ task_id: t!.task_id, status: 'pending', truncated: false });
    const id = (ev!.data as { ref: { id: number } }).ref.id;
    const [stored] = await sql<{ payload: { payload: unknown } }>(env, `SELECT payload FROM ${OUTBOX_PAYLOADS_TABLE} WHERE outbox_id = $1`, [id]);
    expect(stored!.payload.payload).toEqual(payload);
    expect(bridge.status().byReference).toBe(1);
  });
});

describe('bridge: batches', () => {
  it('cuts batches by payload bytes and still drains everything in order', async () => {
    await using env = await startTestEnv();
    await using bridge = await startBridge(bridgeOptions(env, { maxBatchBytes: 20_000, batchSize: 50 }));
    await sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version)
      SELECT 'a1', 'k' || lpad(i::text, 3, '0'), to_jsonb(repeat('x', 5000)), 0, 1 FROM generate_series(1, 30) i`);
    await waitForDrained(env);
    const events = await waitForEvents(env.logs.agentState, 'agents.>', 30);
    expect(events.map((e) => (e.data as { state_key: string }).state_key)).toEqual(Array.from({ length: 30 }, (_, i) => `k${String(i + 1).padStart(3, '0')}`));
    expect(bridge.status().published).toBe(30);
  });
});
