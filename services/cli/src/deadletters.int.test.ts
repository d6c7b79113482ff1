import { createEvent, type StateChangedData } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { agentStateProjection, createProjectionHost, listDeadLetters, replayDeadLetter, type DeadLetterDetail, type DeadLetterEntry, type Projection } from '@mister-smith/projections';
import { waitCaughtUp } from '@mister-smith/projections/testing';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, tempDataDir } from './cliTestKit.test.js';

describe('dead letters: list, show, replay, discard', () => {
  it('the CLI lists a dead letter with its reason, shows it, replays it (it fails again with its new reason) and discards it', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    await using host = createProjectionHost(env, [agentStateProjection()], { lockPollMs: 100, maxAttempts: 1 });
    await host.start();
    // A StateChanged without a writer: the agent-state projection cannot apply it.
    await env.logs.agentState.append(createEvent({ type: 'StateChanged', subject: 'agents.state.a1', agentId: 'a1', data: { key: 'k', op: 'put', value: 1, stored: null, strategy: 'lww' } }));
    await waitCaughtUp(host);

    const list = await runCli(['deadletters', 'list', '--json'], e);
    expect(list.code).toBe(0);
    const [letter] = list.json<DeadLetterEntry[]>();
    expect(letter).toMatchObject({ source: 'projection:agent-state', subject: 'agents.state.a1', reason: expect.stringContaining('MALFORMED_EVENT') });
    const show = await runCli(['deadletters', 'show', String(letter!.id), '--json'], e);
    expect(show.json<DeadLetterDetail>().payload).toContain('"key":"k"');

    const replay = await runCli(['deadletters', 'replay', String(letter!.id)], e);
    expect(expectOneLineError(replay)).toMatch(/DEAD_LETTERED: dead letter \d+ failed again: MALFORMED_EVENT/);
    expect((await runCli(['deadletters', 'list', '--json'], e)).json<DeadLetterEntry[]>()).toEqual([expect.objectContaining({ id: letter!.id, attempts: letter!.attempts + 1 })]);

    expect((await runCli(['deadletters', 'discard', String(letter!.id)], e)).code).toBe(0);
    expect((await runCli(['deadletters', 'list'], e)).stdout.trim()).toBe('no dead letters');
    expect(expectOneLineError(await runCli(['deadletters', 'show', String(letter!.id)], e))).toMatch(/NOT_FOUND/);
  }, 120_000);

  it('a replayed dead letter applies once its projection can handle it, and is removed', async () => {
    await using env = await startTestEnv();
    await env.pg.withClient((c) => c.query('CREATE TABLE public.seen (seq bigint PRIMARY KEY)'));
    let healthy = false;
    const picky: Projection = {
      name: 'picky', stream: 'agentState', subjects: ['agents.state.>'], tables: ['public.seen'],
      async apply(items, ctx) {
        for (const item of items) {
          if (!healthy && item.kind === 'event' && item.event.type === 'Poison') throw new Error('cannot handle Poison yet');
          await ctx.trx.withTables<{ 'public.seen': { seq: number } }>().insertInto('public.seen').values({ seq: item.seq }).onConflict((oc) => oc.column('seq').doNothing()).execute();
        }
      },
    };
    await using host = createProjectionHost(env, [picky], { lockPollMs: 100, maxAttempts: 1 });
    await host.start();
    await env.logs.agentState.append(createEvent({ type: 'Poison', subject: 'agents.state.a1', data: {} satisfies Partial<StateChangedData> }));
    await waitCaughtUp(host);
    const [letter] = await listDeadLetters(env.pg.db, { source: 'projection:picky' });
    expect(letter?.reason).toContain('cannot handle Poison yet');
    healthy = true;
    expect(await replayDeadLetter(env, [picky], letter!.id)).toEqual({ id: letter!.id, outcome: 'applied' });
    expect(await listDeadLetters(env.pg.db)).toEqual([]);
    expect((await env.pg.db.withTables<{ 'public.seen': { seq: number } }>().selectFrom('public.seen').select('seq').execute()).map((r) => Number(r.seq))).toEqual([letter!.seq]);
  }, 60_000);
});
