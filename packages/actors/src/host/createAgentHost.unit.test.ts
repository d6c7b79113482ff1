import { MisterSmithError, msError } from '@mister-smith/core';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { counterAgent } from '../agentTypes/counterAgent.js';
import { createAgentHost } from './createAgentHost.js';
import { memoryEffects, testConfig } from './hostTestKit.test.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

function setup(opts: { maxRestarts?: number } = {}) {
  const mem = memoryEffects([counterAgent]);
  const clock = new SimulatedClock();
  const restarts: { agentId: string; gaveUp: boolean }[] = [];
  const host = createAgentHost({
    supervisorId: 's1', agentTypes: [counterAgent], lifecycleOf: () => testConfig, effects: mem.effects, clock,
    maxRestarts: opts.maxRestarts ?? 2, restartBackoffMs: 100, restartWindowMs: 60_000,
    onRestart: (agentId, info) => restarts.push({ agentId, gaveUp: info.gaveUp }),
  });
  return { ...mem, clock, host, restarts };
}

describe('createAgentHost', () => {
  it('activates agents on their first command and runs the handler', async () => {
    const h = setup();
    const reply = await h.host.command('c1', counterAgent, 'increment', { by: 5 });
    expect(reply).toMatchObject({ agentId: 'c1', result: 5, changedKeys: ['count'] });
    expect(h.host.lifecycleOf('c1')).toBe('ACTIVE');
    expect(h.host.stateOf('c1')).toEqual({ count: 5 });
    await h.host.stop();
  });

  it('answers an unknown command with UNKNOWN_COMMAND without creating the agent', async () => {
    const h = setup();
    await expect(h.host.command('c1', counterAgent, 'explode', {})).rejects.toSatisfy((e) => MisterSmithError.is(e, 'UNKNOWN_COMMAND'));
    expect(h.host.size).toBe(0);
    await h.host.stop();
  });

  it('answers a bad payload with the handler error and keeps the agent serving', async () => {
    const h = setup();
    await expect(h.host.command('c1', counterAgent, 'increment', { by: 'x' })).rejects.toSatisfy((e) => MisterSmithError.is(e, 'INVALID_ARGUMENT'));
    expect((await h.host.command('c1', counterAgent, 'increment', {})).result).toBe(1);
    await h.host.stop();
  });

  it("hands the caller's command id to the effects (which deduplicate durably) and returns it; generates one when absent", async () => {
    const h = setup();
    const a = await h.host.command('c1', counterAgent, 'increment', {}, { commandId: 'cmd-1' });
    const b = await h.host.command('c1', counterAgent, 'increment', {});
    expect(a).toMatchObject({ commandId: 'cmd-1', result: 1 });
    expect(b.commandId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.commandId).not.toBe('cmd-1');
    await expect(h.host.command('c1', counterAgent, 'increment', {}, { commandId: '' })).rejects.toSatisfy((e) => MisterSmithError.is(e, 'INVALID_ARGUMENT'));
    await h.host.stop();
  });

  it('drops passivated agents from memory and re-activates them as EXPIRED -> HYDRATING with state intact', async () => {
    const h = setup();
    await h.host.command('c1', counterAgent, 'increment', { by: 3 });
    h.clock.increment(testConfig.idleTtlMs);
    await tick();
    expect(h.host.size).toBe(0);
    expect(h.host.lifecycleOf('c1')).toBe('EXPIRED');
    expect((await h.host.command('c1', counterAgent, 'increment', {})).result).toBe(4);
    const path = h.transitions.filter((t) => t.agentId === 'c1').map((t) => `${t.from}>${t.to}`);
    expect(path).toEqual(['COLD>HYDRATING', 'HYDRATING>ACTIVE', 'ACTIVE>FLUSHING', 'FLUSHING>EXPIRED', 'EXPIRED>HYDRATING', 'HYDRATING>ACTIVE']);
    await h.host.stop();
  });

  it('activate() reports the hydration error (here NOT_OWNER) to the caller', async () => {
    const h = setup();
    h.hooks.failHydrate = () => msError('NOT_OWNER', 'owned by s2');
    await expect(h.host.activate('c1', counterAgent)).rejects.toSatisfy((e) => MisterSmithError.is(e, 'NOT_OWNER'));
    expect(h.host.lifecycleOf('c1')).toBe('EXPIRED');
    await h.host.stop();
  });

  it('restarts a crashed agent with backoff, and gives up past the restart budget', async () => {
    const h = setup({ maxRestarts: 2 });
    let crashing = true;
    h.hooks.onTransition = (t) => { if (crashing && t.to === 'ACTIVE') throw new Error('effect bug'); };
    await expect(h.host.command('c1', counterAgent, 'increment', {})).rejects.toSatisfy((e) => MisterSmithError.is(e, 'INTERNAL'));
    expect(h.transitions.at(-1)).toMatchObject({ agentId: 'c1', to: 'EXPIRED', reason: 'crashed' });
    h.clock.increment(99);
    await tick();
    expect(h.restarts).toEqual([]);
    h.clock.increment(1); // first restart after 100 ms; it crashes again
    await tick();
    expect(h.restarts).toEqual([{ agentId: 'c1', gaveUp: false }]);
    h.clock.increment(200); // second restart after 200 ms; crashes a third time: over budget
    await tick();
    expect(h.restarts).toEqual([{ agentId: 'c1', gaveUp: false }, { agentId: 'c1', gaveUp: false }, { agentId: 'c1', gaveUp: true }]);
    await expect(h.host.command('c1', counterAgent, 'increment', {})).rejects.toSatisfy((e) => MisterSmithError.is(e, 'INTERNAL'));
    crashing = false;
    h.clock.increment(60_000); // the window passes: the agent may run again
    expect((await h.host.command('c1', counterAgent, 'increment', {})).result).toBe(1);
    await h.host.stop();
  });

  it('restarts into ACTIVE when the crash was transient', async () => {
    const h = setup();
    let crashes = 1;
    h.hooks.onTransition = (t) => { if (crashes > 0 && t.to === 'ACTIVE') { crashes--; throw new Error('once'); } };
    await expect(h.host.command('c1', counterAgent, 'increment', {})).rejects.toBeDefined();
    h.clock.increment(100);
    await tick();
    expect(h.host.lifecycleOf('c1')).toBe('ACTIVE');
    expect(h.transitions.filter((t) => t.agentId === 'c1').map((t) => t.reason)).toContain('restart');
    await h.host.stop();
  });

  it('stop() flushes every live agent, publishes their EXPIRED transitions and refuses new commands', async () => {
    const h = setup();
    await Promise.all(['a', 'b', 'c'].map((id) => h.host.command(id, counterAgent, 'increment', {})));
    await h.host.stop();
    expect(h.flushes.sort()).toEqual(['a', 'b', 'c']);
    for (const id of ['a', 'b', 'c']) expect(h.transitions.filter((t) => t.agentId === id).at(-1)).toMatchObject({ to: 'EXPIRED', reason: 'shutdown' });
    expect(h.host.size).toBe(0);
    await expect(h.host.command('a', counterAgent, 'increment', {})).rejects.toSatisfy((e) => MisterSmithError.is(e, 'CLOSED'));
  });

  it('passivate() flushes and expires one agent', async () => {
    const h = setup();
    await h.host.command('c1', counterAgent, 'increment', {});
    expect(await h.host.passivate('c1')).toBe('EXPIRED');
    expect(h.flushes).toEqual(['c1']);
    expect(await h.host.passivate('unknown')).toBeUndefined();
    await h.host.stop();
  });

  it('counts agents per lifecycle state', async () => {
    const h = setup();
    await h.host.command('a', counterAgent, 'increment', {});
    await h.host.command('b', counterAgent, 'increment', {});
    expect(h.host.counts()).toEqual({ COLD: 0, HYDRATING: 0, ACTIVE: 2, FLUSHING: 0, EXPIRED: 0 });
    expect(h.host.dirtyKeys()).toBe(2);
    await h.host.stop();
  });
});
