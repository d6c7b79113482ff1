import { MisterSmithError } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import type { MailboxPolicy } from '../agentTypes/AgentType.js';
import { defineAgentType } from '../agentTypes/defineAgentType.js';
import { createSupervisor } from '../supervisor/createSupervisor.js';
import { eventually } from '../supervisor/supervisorTestKit.test.js';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (MisterSmithError.is(e) ? e.code : String(e)));

/** A type whose `hold` command waits for the test to open its gate (or for an interrupt). */
function gated(name: string, mailbox: MailboxPolicy) {
  let open!: () => void;
  let gate = new Promise<void>((r) => { open = r; });
  let running = 0;
  const type = defineAgentType<{ n: number }>({
    name, initialState: { n: 0 }, mailbox,
    commands: {
      async hold(draft, _p, ctx) {
        running += 1;
        await new Promise<void>((resolve, reject) => {
          void gate.then(resolve);
          ctx.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true });
        });
        draft.n += 1;
        return draft.n;
      },
      inc(draft) { draft.n += 1; return draft.n; },
    },
  });
  return { type, started: () => running > 0, release: () => { open(); gate = new Promise<void>((r) => { open = r; }); } };
}

describe('mailbox policies', () => {
  it('enqueue (bounded, BACKPRESSURE beyond), reject (BUSY) and interrupt (INTERRUPTED), with the queue depth in get', async () => {
    await using env = await startTestEnv();
    const queued = gated('queued', { policy: 'enqueue', maxQueue: 2 });
    const rejecting = gated('rejecting', { policy: 'reject' });
    const interrupting = gated('interrupting', { policy: 'interrupt' });
    const sup = await createSupervisor({ ...env, supervisorId: 'sup-m', agentTypes: [queued.type, rejecting.type, interrupting.type], scheduler: { enabled: false } });
    try {
      await sup.spawn('queued', 'q');
      const first = sup.command('q', 'hold', {});
      await eventually(() => queued.started(), 5_000, 'the first command to run');
      const second = sup.command('q', 'inc', {});
      const third = sup.command('q', 'inc', {});
      await eventually(async () => (await sup.get('q')).queueDepth === 2, 5_000, 'two queued commands');
      expect(sup.queuedCommands()).toBe(2);
      expect(await codeOf(sup.command('q', 'inc', {}))).toBe('BACKPRESSURE');
      queued.release();
      expect(await Promise.all([first, second, third]).then((r) => r.map((x) => x.result))).toEqual([1, 2, 3]);
      expect(await sup.get('q')).toMatchObject({ state: { n: 3 }, queueDepth: 0 });

      await sup.spawn('rejecting', 'r');
      const running = sup.command('r', 'hold', {});
      await eventually(() => rejecting.started(), 5_000, 'the first command to run');
      expect(await codeOf(sup.command('r', 'inc', {}))).toBe('BUSY');
      rejecting.release();
      expect((await running).result).toBe(1);
      expect((await sup.command('r', 'inc', {})).result).toBe(2);

      await sup.spawn('interrupting', 'i');
      const old = codeOf(sup.command('i', 'hold', {}));
      await eventually(() => interrupting.started(), 5_000, 'the old command to run');
      expect((await sup.command('i', 'inc', {})).result).toBe(1);
      expect(await old).toBe('INTERRUPTED');
      expect(await sup.get('i')).toMatchObject({ state: { n: 1 } });
    } finally {
      await sup.stop();
    }
  });
});
