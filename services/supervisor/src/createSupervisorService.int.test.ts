import { counterAgent, defineAgentType } from '@mister-smith/actors';
import { namespacedSubject, type AgentLifecycleChangedData, type NatsHandle } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { createSupervisorService } from './createSupervisorService.js';
import { runSupervisorService } from './main.js';

type Reply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

/** Runs SQL on the test database. */
async function query<T>(env: TestEnv, text: string): Promise<T[]> {
  return env.pg.withClient(async (c) => (await c.query(text)).rows as T[]);
}

/** Sends raw bytes to an API operation and decodes the envelope. */
async function call(nats: NatsHandle, ns: string, op: string, body: unknown): Promise<Reply> {
  const data = typeof body === 'string' ? new TextEncoder().encode(body) : new TextEncoder().encode(JSON.stringify(body));
  const msg = await nats.nc.request(namespacedSubject(ns, `mister-smith.supervisor.${op}`), data, { timeout: 15_000 });
  return JSON.parse(new TextDecoder().decode(msg.data)) as Reply;
}
const codeOf = (r: Reply) => (r.ok ? 'ok' : r.error.code);

describe('supervisor service request/reply API', () => {
  it('spawns, commands, reads, lists and stops agents', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    await using svc = await createSupervisorService({ ...env, supervisorId: 'svc-1' });
    const client = await env.connect();
    const ns = env.namespace;
    expect(await call(client, ns, 'spawn', { type: 'counter', id: 'c1' })).toEqual({ ok: true, result: { agentId: 'c1', agentType: 'counter', lifecycle: 'ACTIVE', supervisorId: 'svc-1' } });
    // The CLI's spelling is accepted too.
    expect(await call(client, ns, 'spawn', { agentType: 'notes', agentId: 'n1' })).toMatchObject({ ok: true, result: { agentId: 'n1' } });
    const gen = await call(client, ns, 'spawn', { type: 'counter' });
    expect(gen.ok && (gen.result as { agentId: string }).agentId).toMatch(/^counter-[0-9a-f]{12}$/);
    expect(await call(client, ns, 'command', { agentId: 'c1', command: 'increment', payload: { by: 4 }, commandId: 'k1' })).toMatchObject({ ok: true, result: { result: 4, changedKeys: ['count'] } });
    expect(await call(client, ns, 'command', { agentId: 'c1', command: 'increment', payload: { by: 4 }, commandId: 'k1' })).toMatchObject({ ok: true, result: { result: 4, duplicate: true } });
    expect(await call(client, ns, 'command', { agentId: 'n1', command: 'addNote', payload: { text: 'hello' } })).toMatchObject({ ok: true });
    expect(await call(client, ns, 'get', { agentId: 'c1' })).toMatchObject({ ok: true, result: { state: { count: 4 }, lifecycle: 'ACTIVE' } });
    expect(await call(client, ns, 'get', { agentId: 'c1', key: 'count' })).toMatchObject({ ok: true, result: { value: 4 } });
    await query(env, `INSERT INTO agents.registry (agent_id, agent_type) VALUES ('sleeper', 'counter')`);
    const cold = await call(client, ns, 'list', { state: 'COLD' });
    expect(cold.ok && (cold.result as { agentId: string }[]).map((a) => a.agentId)).toEqual(['sleeper']);
    expect(await call(client, ns, 'stop', { agentId: 'c1' })).toEqual({ ok: true, result: { agentId: 'c1', lifecycle: 'EXPIRED' } });
    const all = await call(client, ns, 'list', {});
    expect(all.ok && all.result).toHaveLength(4);
    const text = await svc.registry.metrics();
    expect(text).toMatch(/mister_smith_supervisor_agents\{state="ACTIVE"\} 2/);
    expect(text).toMatch(/mister_smith_supervisor_requests_total\{op="command",result="ok"\} 3/);
    expect(text).toContain('mister_smith_supervisor_flush_seconds_bucket');
    expect(text).toContain('mister_smith_supervisor_dirty_keys');
    expect(text).toContain('mister_smith_supervisor_restarts_total');
  });

  it('answers bad input with typed errors and keeps serving', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    await using svc = await createSupervisorService({ ...env });
    const client = await env.connect();
    const ns = env.namespace;
    await call(client, ns, 'spawn', { type: 'counter', id: 'ok-1' });
    const cases: [string, unknown, string][] = [
      ['command', { agentId: 'ghost', command: 'increment' }, 'UNKNOWN_AGENT'],
      ['get', { agentId: 'ghost' }, 'UNKNOWN_AGENT'],
      ['stop', { agentId: 'ghost' }, 'UNKNOWN_AGENT'],
      ['command', { agentId: 'ok-1', command: 'fly' }, 'UNKNOWN_COMMAND'],
      ['command', { agentId: 'not valid!', command: 'increment' }, 'INVALID_ID'],
      ['command', { agentId: '../etc', command: 'increment' }, 'INVALID_ID'],
      ['spawn', { type: 'counter', id: 'a.b' }, 'INVALID_ID'],
      ['command', '{"agentId": "ok-1", ', 'INVALID_ARGUMENT'],
      ['command', '[1,2,3]', 'INVALID_ARGUMENT'],
      ['command', { agentId: 'ok-1' }, 'INVALID_ARGUMENT'],
      ['command', { agentId: 'ok-1', command: 'increment', payload: { by: 'x' } }, 'INVALID_ARGUMENT'],
      ['command', { agentId: 'ok-1', command: 'set', payload: { key: 'a.b', value: 1 } }, 'INVALID_ARGUMENT'],
      ['spawn', { type: 'robot' }, 'INVALID_ARGUMENT'],
      ['spawn', {}, 'INVALID_ARGUMENT'],
      ['list', { state: 'SLEEPING' }, 'INVALID_ARGUMENT'],
      ['list', { limit: -1 }, 'INVALID_ARGUMENT'],
      ['get', { agentId: 'ok-1', key: 'a.b' }, 'INVALID_KEY'],
      ['explode', {}, 'INVALID_ARGUMENT'],
    ];
    for (const [op, body, code] of cases) expect([op, body, codeOf(await call(client, ns, op, body))]).toEqual([op, body, code]);
    expect(await call(client, ns, 'command', { agentId: 'ok-1', command: 'increment' })).toMatchObject({ ok: true, result: { result: 1 } });
    const text = await svc.registry.metrics();
    expect(text).toMatch(/mister_smith_supervisor_requests_total\{op="command",result="UNKNOWN_AGENT"\} 1/);
  });

  it('runs as a process and flushes every agent to PostgreSQL on SIGTERM', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    const signalsBefore = process.listenerCount('SIGTERM');
    const running = await runSupervisorService({
      env: { ...env.childEnv(), MISTER_SMITH_SUPERVISOR_ID: 'proc-1', METRICS_PORT: '0' },
      service: { stateStoreOptions: { flushIntervalMs: 600_000, flushThreshold: 100_000 }, agentTypes: [defineAgentType({ ...counterAgent, flushIntervalMs: 600_000, flushThreshold: 100_000 })] },
    });
    const client = await env.connect();
    for (let i = 1; i <= 5; i++) {
      await call(client, env.namespace, 'spawn', { type: 'counter', id: `p${i}` });
      await call(client, env.namespace, 'command', { agentId: `p${i}`, command: 'set', payload: { value: i * 10 } });
    }
    const health = await (await fetch(`${running.metricsUrl}/healthz`)).json();
    expect(health).toMatchObject({ ok: true, supervisorId: 'proc-1', agents: { ACTIVE: 5 } });
    expect(await query(env, 'SELECT count(*)::int AS n FROM agents.state')).toEqual([{ n: 0 }]);
    process.emit('SIGTERM');
    await running.done;
    expect(process.listenerCount('SIGTERM')).toBe(signalsBefore);
    const rows = await query<{ agent_id: string; state_value: number }>(env, 'SELECT agent_id, state_value FROM agents.state ORDER BY agent_id');
    expect(rows).toEqual([1, 2, 3, 4, 5].map((i) => ({ agent_id: `p${i}`, state_value: i * 10 })));
    const last = [];
    for await (const item of env.logs.agentState.read({ filter: 'agents.lifecycle.>' })) if (item.kind === 'event') last.push(item.record.event.data as AgentLifecycleChangedData);
    expect(last.filter((t) => t.to === 'EXPIRED').map((t) => t.reason)).toEqual(['shutdown', 'shutdown', 'shutdown', 'shutdown', 'shutdown']);
  });
});
