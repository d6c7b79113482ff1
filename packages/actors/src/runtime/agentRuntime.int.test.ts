import { MisterSmithError } from '@mister-smith/core';
import { describe, expect, it } from 'vitest';
import { assistantAgent, type AssistantState } from '../agentTypes/assistantAgent.js';
import { defineAgentType } from '../agentTypes/defineAgentType.js';
import { startAgentHarness } from '../testing/startAgentHarness.js';
import { eventsOf, eventually } from '../supervisor/supervisorTestKit.test.js';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => (MisterSmithError.is(e) ? e.code : String(e)));
const logOf = async (sup: { get(id: string): Promise<{ state?: unknown }> }, id: string) => ((await sup.get(id)).state as AssistantState).log;
const fast = { pollMs: 100, lockPollMs: 100 };

describe('agent runtime', () => {
  it('fires one-shot and interval timers through the owner, lists and cancels them, and wakes a COLD agent', async () => {
    await using h = await startAgentHarness([assistantAgent], { env: { leaseTtlSeconds: 3 }, supervisor: { supervisorId: 'sup-t', scheduler: fast } });
    const { env, supervisor: sup } = h;
    {
      await sup.spawn('assistant', 'a1');
      await sup.command('a1', 'remind', { id: 'r1', text: 'stand up', delayMs: 50 });
      await eventually(async () => (await logOf(sup, 'a1')).some((l) => l.startsWith('reminder: stand up')), 10_000, 'the reminder');
      expect(await sup.timers('a1')).toEqual([]);

      await sup.command('a1', 'every', { id: 'tick', everyMs: 100 });
      const listed = await sup.timers('a1');
      expect(listed).toMatchObject([{ timerId: 'tick', command: 'tick', kind: 'interval', schedule: 'every 100 ms', missed: 'fire-once' }]);
      await eventually(async () => ((await sup.get('a1')).state as AssistantState).ticks >= 3, 10_000, 'three ticks');
      expect(await sup.cancelTimer('a1', 'tick')).toEqual({ timerId: 'tick', cancelled: true });
      expect(await sup.timers('a1')).toEqual([]);
      const ticks = ((await sup.get('a1')).state as AssistantState).ticks;
      expect(await sup.cancelTimer('a1', 'tick')).toEqual({ timerId: 'tick', cancelled: false });

      // A COLD agent: armed, passivated, woken by the scheduler when due.
      await sup.setTimer('a1', { id: 'later', command: 'reminded', payload: { text: 'from cold' }, delayMs: 600 });
      expect(await sup.stopAgent('a1')).toEqual({ agentId: 'a1', lifecycle: 'EXPIRED' });
      await eventually(async () => (await env.pg.db.selectFrom('mister_smith.agent_timers').selectAll().execute()).length === 0, 15_000, 'the COLD timer fired');
      expect((await logOf(sup, 'a1')).filter((l) => l.startsWith('reminder: from cold'))).toHaveLength(1);
      expect(((await sup.get('a1')).state as AssistantState).ticks).toBe(ticks);
      expect(await codeOf(sup.setTimer('a1', { command: 'nope', delayMs: 10 }))).toBe('UNKNOWN_COMMAND');
      expect(await codeOf(sup.setTimer('a1', { command: 'tick', cron: 'not a cron' }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(sup.command('a1', '$timer', { timerId: 'x', dueAt: 1 }))).toBe('UNKNOWN_COMMAND');
    }
  });

  it('waits for a human across passivation: lists the request, resumes once by request id, times out at the deadline', async () => {
    await using h = await startAgentHarness([assistantAgent], { env: { leaseTtlSeconds: 3 }, supervisor: { supervisorId: 'sup-w', scheduler: fast } });
    const sup = h.supervisor;
    {
      await sup.spawn('assistant', 'a2');
      expect((await sup.command('a2', 'ask', { requestId: 'q1', question: 'Ship it?' })).result).toEqual({ requestId: 'q1' });
      expect(await sup.waiting()).toMatchObject([{ agentId: 'a2', agentType: 'assistant', requestId: 'q1', payload: { question: 'Ship it?' } }]);
      expect(await sup.get('a2')).toMatchObject({ waits: ['q1'] });
      await sup.stopAgent('a2');
      const reply = await sup.resume('a2', 'q1', { yes: true });
      expect(reply.result).toEqual({ requestId: 'q1', value: { yes: true } });
      expect(((await sup.get('a2')).state as AssistantState).answers).toEqual({ q1: { yes: true } });
      expect(await sup.waiting()).toEqual([]);
      // A retried resume returns the first reply; a resume of a request that is not pending is NOT_FOUND.
      expect((await sup.resume('a2', 'q1', { yes: true })).duplicate).toBe(true);
      expect(await codeOf(sup.resume('a2', 'never', 1))).toBe('NOT_FOUND');

      await sup.command('a2', 'ask', { requestId: 'q2', question: 'Still there?', timeoutMs: 300 });
      await sup.stopAgent('a2');
      await eventually(async () => (await logOf(sup, 'a2')).includes('no answer to q2 before its deadline'), 15_000, 'the timeout');
      // The index row goes right after the timeout's commit.
      await eventually(async () => (await sup.waiting()).length === 0, 5_000, 'the request to leave the waiting list');
      expect(await codeOf(sup.resume('a2', 'q2', 'late'))).toBe('NOT_FOUND');
    }
  });

  it('records a step and does not call it again when the same command id runs again', async () => {
    let calls = 0;
    let failAfterStep = true;
    const worker = defineAgentType<{ done: number }>({
      name: 'worker',
      initialState: { done: 0 },
      commands: {
        async work(draft, _payload, ctx) {
          const out = await ctx.step('charge', () => { calls += 1; return { charged: 42 }; });
          if (failAfterStep) throw new Error('crash after the step');
          draft.done += 1;
          return out;
        },
      },
    });
    await using h = await startAgentHarness([worker], { env: { leaseTtlSeconds: 3 }, supervisor: { supervisorId: 'sup-s', scheduler: { enabled: false } } });
    const sup = h.supervisor;
    {
      await sup.spawn('worker', 'w1');
      expect(await codeOf(sup.command('w1', 'work', {}, { commandId: 'job-1' }))).toBe('HANDLER_FAILED');
      failAfterStep = false;
      await sup.stopAgent('w1');
      expect((await sup.command('w1', 'work', {}, { commandId: 'job-1' })).result).toEqual({ charged: 42 });
      expect(calls).toBe(1);
      expect((await sup.command('w1', 'work', {}, { commandId: 'job-2' })).result).toEqual({ charged: 42 });
      expect(calls).toBe(2);
      expect(((await sup.get('w1')).state as { done: number }).done).toBe(2);
      const steps = (await eventsOf(h.env.logs.agentState, 'agents.state.w1')).filter((e) => e.type === 'StepCompleted').map((e) => e.data);
      expect(steps).toEqual([{ commandId: 'job-1', stepId: 'charge', result: { charged: 42 } }, { commandId: 'job-2', stepId: 'charge', result: { charged: 42 } }]);
    }
  });
});
