// Agent runtime under SIGKILL: supervisors run as child processes (runtimeSupervisorChild.mjs) on the
// shared NATS and PostgreSQL, in their own namespace and database; the owner is killed at the worst
// moment of each capability and a second supervisor carries on.
import { fileURLToPath } from 'node:url';
import { namespacedSubject } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { startServiceProcess, type ServiceProcess } from './harness/startServiceProcess.js';

const script = fileURLToPath(new URL('./harness/runtimeSupervisorChild.mjs', import.meta.url));
const LEASE_TTL_SECONDS = 3;

async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function harness(env: TestEnv) {
  const started: ServiceProcess[] = [];
  const start = async (id: string, extra: Record<string, string> = {}) => {
    const s = await startServiceProcess({
      name: `supervisor ${id}`, script, readyMarker: 'supervisor-ready',
      env: { ...env.childEnv(), MISTER_SMITH_SUPERVISOR_ID: id, LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS), ...extra },
    });
    started.push(s);
    return s;
  };
  /** One supervisor API request, answered by any supervisor of the namespace; errors come back as `{ error }`. */
  const api = async <T>(op: string, body: unknown, timeout = 20_000): Promise<{ result?: T; error?: { code: string; message: string } }> => {
    const m = await env.nats.nc.request(namespacedSubject(env.namespace, `mister-smith.supervisor.${op}`), JSON.stringify(body), { timeout });
    return m.json<{ ok: boolean; result?: T; error?: { code: string; message: string } }>();
  };
  const ok = async <T>(op: string, body: unknown): Promise<T> => {
    const r = await api<T>(op, body);
    if (r.error) throw new Error(`${op}: ${r.error.code} ${r.error.message}`);
    return r.result as T;
  };
  /** Retries an operation until a supervisor answers it (the owner may be dead until its lease runs out). */
  const retry = async <T>(op: string, body: unknown): Promise<T> => {
    let last = '';
    for (let i = 0; i < 30; i++) {
      const r = await api<T>(op, body).catch((e: unknown) => ({ error: { code: 'REQUEST', message: String(e) } }));
      if (!r.error) return (r as { result: T }).result;
      last = `${r.error.code} ${r.error.message}`;
      await new Promise((res) => setTimeout(res, 300));
    }
    throw new Error(`${op} kept failing: ${last}`);
  };
  return {
    start, api, ok, retry,
    async [Symbol.asyncDispose]() { await Promise.all(started.map((s) => s.stop(15_000))); },
  };
}

const stateOf = async <T>(h: ReturnType<typeof harness>, agentId: string) => (await h.retry<{ state: T }>('get', { agentId })).state;

describe('agent runtime under SIGKILL of the owner', () => {
  it('fires each timer exactly once although its owner is killed while the timers come due (takeover by lease)', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: LEASE_TTL_SECONDS });
    await using h = harness(env);
    const a = await h.start('supA');
    await h.ok('spawn', { type: 'counter', id: 'clock' });
    // 12 one-shot timers, due every 150 ms from 600 ms on: some fire before the kill, the rest during the takeover.
    const base = Date.now() + 600;
    for (let i = 0; i < 12; i++) {
      await h.ok('setTimer', { agentId: 'clock', spec: { id: `t${i}`, command: 'increment', payload: { key: `t${i}` }, at: base + i * 150 } });
    }
    const b = await h.start('supB');
    await eventually(async () => (await h.ok<{ state: Record<string, number> }>('get', { agentId: 'clock' })).state.t1 === 1, 20_000, 'the first timers to fire');
    await a.kill();
    const state = await eventually(async () => {
      const s = await stateOf<Record<string, number>>(h, 'clock');
      return Array.from({ length: 12 }, (_, i) => s[`t${i}`]).every((v) => v !== undefined) && s;
    }, 60_000, 'every timer to fire after the takeover');
    await eventually(async () => (await env.pg.db.selectFrom('mister_smith.agent_timers').selectAll().execute()).length === 0, 20_000, 'the due-time index to empty');
    const again = await stateOf<Record<string, number>>(h, 'clock');
    expect(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t${i}`, again[`t${i}`]]))).toEqual(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t${i}`, 1])));
    expect(state.t11).toBe(1);
    expect(await h.ok('timers', { agentId: 'clock' })).toEqual([]);
    expect(b.alive()).toBe(true);
  }, 120_000);

  it('resumes a wait after its owner is killed, and fires a deadline that passes while it is down, once', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: LEASE_TTL_SECONDS });
    await using h = harness(env);
    const a = await h.start('supA');
    await h.ok('spawn', { type: 'assistant', id: 'helper' });
    await h.ok('command', { agentId: 'helper', command: 'ask', payload: { requestId: 'approve', question: 'Pay the invoice?' } });
    await h.ok('command', { agentId: 'helper', command: 'ask', payload: { requestId: 'late', question: 'Anyone?', timeoutMs: 1_500 } });
    expect((await h.ok<{ requestId: string }[]>('waiting', {})).map((w) => w.requestId).sort()).toEqual(['approve', 'late']);
    await a.kill();
    await h.start('supB');
    const reply = await h.retry<{ result: unknown }>('resume', { agentId: 'helper', requestId: 'approve', value: { approved: true } });
    expect(reply.result).toEqual({ requestId: 'approve', value: { approved: true } });
    const state = await eventually(async () => {
      const s = await stateOf<{ log: string[]; answers: Record<string, unknown> }>(h, 'helper');
      return s.log.includes('no answer to late before its deadline') && s;
    }, 30_000, 'the deadline of "late"');
    expect(state.answers).toEqual({ approve: { approved: true } });
    expect(state.log.filter((l) => l === 'no answer to late before its deadline')).toHaveLength(1);
    await eventually(async () => (await h.ok<unknown[]>('waiting', {})).length === 0, 10_000, 'no pending request left');
    // A second resume of the answered request does not run again.
    const second = await h.api('resume', { agentId: 'helper', requestId: 'approve', value: { approved: true } });
    expect(second.error?.code ?? 'duplicate').toMatch(/^(NOT_FOUND|duplicate)$/);
    expect((await stateOf<{ log: string[] }>(h, 'helper')).log.filter((l) => l.startsWith('answer to approve'))).toHaveLength(1);
  }, 120_000);

  it('does not run a finished step again when the owner dies right after it and the command is retried elsewhere', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: LEASE_TTL_SECONDS });
    await env.pg.withClient((c) => c.query('CREATE TABLE public.charges (id serial PRIMARY KEY, agent_id text, command_id text, amount int)'));
    await using h = harness(env);
    const a = await h.start('supA', { HANG_AFTER_STEP: '1' });
    await h.ok('spawn', { type: 'payer', id: 'payer-1' });
    void h.api('command', { agentId: 'payer-1', command: 'pay', payload: { amount: 5 }, commandId: 'invoice-42' }, 60_000).catch(() => undefined);
    await eventually(() => a.tail().includes('step-recorded invoice-42'), 20_000, 'the step to be recorded');
    await a.kill();
    await h.start('supB');
    const reply = await h.retry<{ result: { chargeId: number; amount: number } }>('command', { agentId: 'payer-1', command: 'pay', payload: { amount: 5 }, commandId: 'invoice-42' });
    const charges = (await env.pg.withClient((c) => c.query<{ id: number; command_id: string }>('SELECT id, command_id FROM public.charges'))).rows;
    expect(charges).toEqual([{ id: reply.result.chargeId, command_id: 'invoice-42' }]);
    expect(reply.result.amount).toBe(5);
    expect((await stateOf<{ paid: number }>(h, 'payer-1')).paid).toBe(5);
  }, 120_000);

  it('loses no queued command and runs none twice when the owner is killed with commands queued (retried by id elsewhere)', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: LEASE_TTL_SECONDS });
    await using h = harness(env);
    const a = await h.start('supA');
    await h.ok('spawn', { type: 'slow', id: 'queue-1' });
    const ids = Array.from({ length: 30 }, (_, i) => `job-${i}`);
    const acked = new Set<string>();
    for (const commandId of ids) {
      void h.api('command', { agentId: 'queue-1', command: 'inc', commandId }, 60_000).then((r) => { if (!r.error) acked.add(commandId); }, () => undefined);
    }
    await eventually(() => acked.size >= 5, 20_000, 'some commands to finish');
    await a.kill();
    await h.start('supB');
    // The caller retries every command it has no reply for, with the same id.
    for (const commandId of ids.filter((id) => !acked.has(id))) await h.retry('command', { agentId: 'queue-1', command: 'inc', commandId });
    expect((await stateOf<{ count: number }>(h, 'queue-1')).count).toBe(30);
    // Every command id committed exactly once.
    const applied = new Map<string, number>();
    const sub = env.logs.agentState.read({ filter: 'agents.state.queue-1' });
    for await (const item of sub) {
      if (item.kind !== 'event' || item.record.event.type !== 'StateChanged') continue;
      const id = (item.record.event.data as { commandId?: string }).commandId;
      if (id) applied.set(id, (applied.get(id) ?? 0) + 1);
    }
    expect(ids.filter((id) => applied.get(id) !== 1)).toEqual([]);
  }, 120_000);
});
