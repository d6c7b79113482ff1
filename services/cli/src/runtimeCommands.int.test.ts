import type { CommandReply, TimerInfo, WaitInfo } from '@mister-smith/actors';
import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import type { AgentStateView } from './commands/agentsGet.js';
import { expectOneLineError, runCli, startCli, tempDataDir } from './cliTestKit.test.js';

describe('mister-smith agent runtime commands (built CLI, real servers)', () => {
  it('lists and cancels timers, lists pending requests across the fleet and resumes one', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    const supervisor = startCli(['supervisor', '--status-interval', '60'], e);
    await supervisor.waitForLine(/^supervisor: ready/, 60_000);
    const cli = (...args: string[]) => runCli(args, e);

    expect((await cli('agents', 'spawn', '--type', 'assistant', '--id', 'helper')).code).toBe(0);
    const send = async (name: string, payload: unknown) => {
      const { nats } = env;
      const reply = await nats.nc.request(`${env.namespace}.mister-smith.supervisor.command`, JSON.stringify({ agentId: 'helper', command: name, payload }), { timeout: 10_000 });
      return (JSON.parse(new TextDecoder().decode(reply.data)) as { result: CommandReply }).result;
    };
    await send('every', { id: 'tick', everyMs: 3_600_000 });
    await send('ask', { requestId: 'approve-1', question: 'Send the report?' });

    const timers = await cli('agents', 'timers', 'helper', '--json');
    expect(timers.code).toBe(0);
    expect(timers.json<TimerInfo[]>()).toMatchObject([{ timerId: 'tick', command: 'tick', kind: 'interval', schedule: 'every 3600000 ms', fired: 0 }]);
    const text = await cli('agents', 'timers', 'helper');
    expect(text.lines[0]).toMatch(/^TIMER +COMMAND +SCHEDULE +DUE +MISSED +FIRED$/);
    expect(text.lines.slice(1)).toEqual([expect.stringMatching(/^tick +tick +every 3600000 ms +\d{4}-.* +fire-once +0$/)]);

    const waiting = await cli('agents', 'list', '--waiting', '--json');
    expect(waiting.json<WaitInfo[]>()).toMatchObject([{ agentId: 'helper', agentType: 'assistant', requestId: 'approve-1', payload: { question: 'Send the report?' } }]);
    const got = await cli('agents', 'get', 'helper', '--json');
    expect(got.json<AgentStateView>()).toMatchObject({ agentId: 'helper', timers: 1, waits: ['approve-1'], queueDepth: 0 });
    expect(Object.keys(got.json<AgentStateView>().state)).toEqual(['log']);

    const resumed = await cli('agents', 'resume', 'helper', 'approve-1', '{"approved":true}');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe('resumed approve-1 of helper: {"requestId":"approve-1","value":{"approved":true}}\n');
    expect((await cli('agents', 'list', '--waiting')).stdout).toBe('no pending requests\n');
    expect(expectOneLineError(await cli('agents', 'resume', 'helper', 'approve-2', '1'))).toMatch(/^mister-smith: NOT_FOUND: agent helper has no pending request "approve-2"/);

    expect((await cli('agents', 'timers', 'cancel', 'helper', 'tick')).stdout).toBe('cancelled timer tick of helper\n');
    expect((await cli('agents', 'timers', 'helper')).stdout).toBe('helper has no timers\n');
    supervisor.kill('SIGTERM');
    expect((await supervisor.exit(60_000)).code).toBe(0);
  }, 180_000);
});
