import { describe, expect, it } from 'vitest';
import { msError, silentLogger, type AgentLifecycleChangedData, type EventLog } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import type { LifecycleTransition } from '../host/AgentHost.js';
import { createTransitionPublisher } from './createTransitionPublisher.js';
import { eventsOf, eventually } from './supervisorTestKit.test.js';

/** The real event log, whose appends fail while `down()` says so (NATS away longer than its own retries). */
function flakyLog(log: EventLog, down: () => boolean): EventLog {
  return new Proxy(log, {
    get(target, prop) {
      if (prop === 'append') {
        return (...args: Parameters<EventLog['append']>) => (down() ? Promise.reject(msError('NATS_UNAVAILABLE', 'NATS is away (test)')) : target.append(...args));
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const step = (agentId: string, from: LifecycleTransition['from'], to: LifecycleTransition['to'], reason: string): LifecycleTransition =>
  ({ agentId, agentType: 'counter', supervisorId: 'sup-t', from, to, reason });

const lifecycleOf = async (log: EventLog, agentId: string) =>
  (await eventsOf(log, `agents.lifecycle.${agentId}`)).map((e) => { const d = e.data as AgentLifecycleChangedData; return `${d.from}>${d.to}`; });

describe('lifecycle transition publisher', () => {
  it('appends a transition that failed past its retries once NATS is back, so the registry does not stay behind the truth', async () => {
    await using env = await startTestEnv();
    let away = false;
    const publisher = createTransitionPublisher(flakyLog(env.logs.agentState, () => away), silentLogger(), { maxAttempts: 2, retryMs: [10, 20], repairIntervalMs: 200 });
    publisher.publish(step('lc-1', 'COLD', 'HYDRATING', 'command'));
    publisher.publish(step('lc-1', 'HYDRATING', 'ACTIVE', 'hydrated'));
    await eventually(async () => (await lifecycleOf(env.logs.agentState, 'lc-1')).length === 2, 10_000, 'the first transitions');
    // NATS goes away while the agent is stopped: the append fails after its bounded retries.
    away = true;
    publisher.publish(step('lc-1', 'ACTIVE', 'FLUSHING', 'stop'));
    publisher.publish(step('lc-1', 'FLUSHING', 'EXPIRED', 'stop'));
    await eventually(() => publisher.failures === 2, 10_000, 'both appends given up');
    expect(publisher.unrepaired).toBe(1);
    // Another agent's transitions are not held up by it.
    away = false;
    publisher.publish(step('lc-2', 'COLD', 'HYDRATING', 'command'));
    // The repair appends lc-1's latest transition: the stream (and the registry built from it) ends at EXPIRED.
    await eventually(async () => (await lifecycleOf(env.logs.agentState, 'lc-1')).at(-1) === 'FLUSHING>EXPIRED', 10_000, 'the repair');
    expect(await lifecycleOf(env.logs.agentState, 'lc-1')).toEqual(['COLD>HYDRATING', 'HYDRATING>ACTIVE', 'FLUSHING>EXPIRED']);
    expect(await lifecycleOf(env.logs.agentState, 'lc-2')).toEqual(['COLD>HYDRATING']);
    expect(publisher.unrepaired).toBe(0);
    await publisher.drain();
  });

  it('keeps one agent\'s transitions in order although they are published without waiting', async () => {
    await using env = await startTestEnv();
    let calls = 0;
    // The first append of each agent fails once (retried): a retry must not land behind the next transition.
    const publisher = createTransitionPublisher(flakyLog(env.logs.agentState, () => calls++ % 7 === 0), silentLogger(), { maxAttempts: 3, retryMs: [5, 10] });
    const chain: LifecycleTransition['to'][] = ['COLD', 'HYDRATING', 'ACTIVE', 'FLUSHING', 'EXPIRED', 'HYDRATING', 'ACTIVE'];
    for (let i = 1; i < chain.length; i++) publisher.publish(step('lc-o', chain[i - 1]!, chain[i]!, `step ${i}`));
    await publisher.drain();
    expect(publisher.failures).toBe(0);
    expect(await lifecycleOf(env.logs.agentState, 'lc-o')).toEqual(chain.slice(1).map((to, i) => `${chain[i]}>${to}`));
  });
});
