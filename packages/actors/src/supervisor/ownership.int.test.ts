import { agentKvKey, createEvent, decodeKvStateEntry, MisterSmithError, type AgentLifecycleChangedData } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { counterAgent } from '../agentTypes/counterAgent.js';
import { createSupervisor } from './createSupervisor.js';
import type { SupervisorOptions } from './Supervisor.js';
import { eventsOf, eventually, stateRows } from './supervisorTestKit.test.js';
import { mapLimit } from '@mister-smith/core/util';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => (MisterSmithError.is(e) ? e.code : String(e)));

/** A supervisor on its own NATS connection, as if it were another process. */
async function supervisorOn(env: TestEnv, supervisorId: string, extra: Partial<SupervisorOptions> = {}) {
  const nats = await env.connect();
  const sup = await createSupervisor({ nats, pg: env.pg, topology: env.topology, supervisorId, agentTypes: [counterAgent], ...extra });
  return { sup, nats };
}

async function kvValue(env: TestEnv, agentId: string, key: string): Promise<unknown> {
  const kv = await env.bucket('agentState');
  const item = await kv.get(agentKvKey(agentId, key));
  return item ? decodeKvStateEntry(item.key, item.value).value : undefined;
}

async function transitionsOf(env: TestEnv, agentId: string): Promise<AgentLifecycleChangedData[]> {
  return (await eventsOf(env.logs.agentState, `agents.lifecycle.${agentId}`)).map((e) => e.data as AgentLifecycleChangedData);
}

describe('single writer across supervisors', () => {
  it('keeps each agent ACTIVE in one supervisor while both receive its commands', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    const a = await supervisorOn(env, 'sup-a');
    const b = await supervisorOn(env, 'sup-b');
    const ids = Array.from({ length: 20 }, (_, i) => `shared-${i}`);
    try {
      // Both spawn every agent at once: one activation wins, the other is routed to it.
      await mapLimit(ids, 20, (id) => Promise.all([a.sup.spawn('counter', id), b.sup.spawn('counter', id)]));
      // Six increments per agent, alternating supervisors, all concurrent.
      await mapLimit(ids.flatMap((id) => Array.from({ length: 6 }, (_, k) => ({ id, via: k % 2 === 0 ? a.sup : b.sup }))), 100,
        ({ id, via }) => via.command(id, 'increment', {}));
      for (const id of ids) {
        const live = [a.sup, b.sup].filter((s) => s.lifecycleOf(id) === 'ACTIVE' || s.lifecycleOf(id) === 'FLUSHING');
        expect(live).toHaveLength(1);
        expect((await a.sup.get(id, 'count')).value).toBe(6);
        const activations = (await transitionsOf(env, id)).filter((t) => t.from === 'HYDRATING' && t.to === 'ACTIVE');
        expect(activations).toHaveLength(1);
      }
    } finally {
      await a.sup.stop();
      await b.sup.stop();
    }
    const rows = await stateRows(env);
    expect([...rows.values()]).toEqual(ids.map(() => 6));
  });

  it('moves the leases of a killed supervisor to another one, with the state intact', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    const a = await supervisorOn(env, 'sup-a');
    const b = await supervisorOn(env, 'sup-b');
    try {
      const ids = Array.from({ length: 20 }, (_, i) => `orphan-${i}`);
      await mapLimit(ids, 20, (id) => a.sup.spawn('counter', id));
      await mapLimit(ids, 20, (id, i) => a.sup.command(id, 'set', { value: i + 1 }));
      // SIGKILL, as far as NATS can tell: the connection drops without a goodbye; nothing flushes.
      await a.nats.nc.close();
      // B forwards to A, hears no responder, waits for A's leases to expire, and takes over.
      const values = await mapLimit(ids, 20, async (id) => (await b.sup.command(id, 'increment', {})).result);
      expect(values).toEqual(ids.map((_, i) => i + 2));
      expect(ids.every((id) => b.sup.lifecycleOf(id) === 'ACTIVE')).toBe(true);
      const owners = await Promise.all(ids.map(async (id) => (await transitionsOf(env, id)).filter((t) => t.to === 'ACTIVE').map((t) => t.supervisorId)));
      expect(owners.every((o) => o.join() === 'sup-a,sup-b')).toBe(true);
    } finally {
      await codeOf(a.sup.stop()); // its connection is gone: it stops with errors, but it stops
      await b.sup.stop();
    }
  });

  it('rejects the late write of a paused owner after another supervisor took over', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    // A stops renewing (a long GC pause, a frozen VM): its lease runs out while it still holds the agent.
    const a = await supervisorOn(env, 'sup-a', { leaseRenewIntervalMs: 3_600_000 });
    const b = await supervisorOn(env, 'sup-b');
    try {
      await a.sup.spawn('counter', 'x');
      await a.sup.command('x', 'set', { value: 1 });
      const leases = await env.bucket('agentLeases');
      await eventually(async () => (await leases.get('x')) === null, 10_000, 'A\'s lease to expire');
      expect((await b.sup.command('x', 'set', { value: 2 })).result).toBe(2);
      expect((await b.sup.command('x', 'increment', { by: 40 })).result).toBe(42);
      // A wakes up and writes with its old fencing token: rejected before it is acknowledged.
      expect(a.sup.lifecycleOf('x')).toBe('ACTIVE');
      expect(await codeOf(a.sup.command('x', 'set', { value: 99 }))).toBe('STALE_OWNER');
      expect(await kvValue(env, 'x', 'count')).toBe(42);
      await eventually(() => a.sup.lifecycleOf('x') === 'EXPIRED', 5_000, 'A to drop the agent');
      const lastOfA = (await transitionsOf(env, 'x')).filter((t) => t.supervisorId === 'sup-a').at(-1);
      expect(lastOfA).toMatchObject({ to: 'EXPIRED', reason: 'stale-owner' });
      // Having learnt, A routes the next command to the owner.
      expect((await a.sup.command('x', 'increment', {})).result).toBe(43);
      await b.sup.flush();
      expect((await stateRows(env, 'x')).get('count')).toBe(43);
    } finally {
      await a.sup.stop();
      await b.sup.stop();
    }
  });

  it('merges an SQL edit that landed on the agent subject and retries the command once', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    await using sup = await createSupervisor({ ...env, supervisorId: 'sup-a', agentTypes: [counterAgent] });
    await sup.spawn('counter', 'y');
    await sup.command('y', 'set', { value: 5 });
    await sup.flush();
    // What the bridge publishes for `UPDATE agents.state SET state_value = '100' ...`.
    await sql`UPDATE agents.state SET state_value = '100' WHERE agent_id = 'y' AND state_key = 'count'`.execute(env.pg.db);
    await env.logs.agentState.append(createEvent({
      type: 'StateEditedInSql', subject: 'agents.state.y', agentId: 'y',
      data: { operation: 'UPDATE', agent_id: 'y', state_key: 'count', old_value: 5, new_value: 100, version: 0, timestamp: Date.now() / 1000 },
    }));
    expect((await sup.command('y', 'increment', {})).result).toBe(101);
    expect(await kvValue(env, 'y', 'count')).toBe(101);
  });
});
