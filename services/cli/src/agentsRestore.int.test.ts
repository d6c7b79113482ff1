import { startTestEnv } from '@mister-smith/core/testing';
import type { RestoreResult } from '@mister-smith/actors';
import { describe, expect, it } from 'vitest';
import type { AgentStateView } from './commands/agentsGet.js';
import type { AgentsSetResult } from './commands/agentsSet.js';
import { expectOneLineError, runCli, startCli, tempDataDir } from './cliTestKit.test.js';

describe('mister-smith agents restore --to (point-in-time restore of one agent, built CLI)', () => {
  it('returns the state to a revision as new events: later keys go, history stays whole, replays and retries reproduce it', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    const up = startCli(['up', '--status-interval', '1'], e);
    await up.waitForLine(/^status: /, 60_000);
    expect((await runCli(['agents', 'spawn', '--type', 'counter', '--id', 'r1'], e)).code).toBe(0);
    const set = async (key: string, value: string) => {
      const r = await runCli(['agents', 'set', 'r1', key, value, '--json'], e);
      expect(r.code, r.stderr).toBe(0);
      return r.json<AgentsSetResult>().version.seq;
    };
    await set('count', '1');
    const good = await set('note', '"good turn"');
    await set('count', '5');
    await set('note', '"bad turn"');
    await set('extra', '{"x":1}');
    const historyBefore = (await runCli(['agents', 'history', 'r1', '--json'], e)).json<unknown[]>().length;

    const restored = await runCli(['agents', 'restore', 'r1', '--to', String(good), '--command-id', 'undo-1', '--json'], e);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.json<RestoreResult>()).toMatchObject({ agentId: 'r1', restoredTo: { revision: good }, state: { count: 1, note: 'good turn' }, complete: true });
    const now = (await runCli(['agents', 'get', 'r1', '--json'], e)).json<AgentStateView>();
    expect(now.state).toEqual({ count: 1, note: 'good turn' });

    // Recorded as events: history grew, and the bad turn is still in it.
    const history = await runCli(['agents', 'history', 'r1', '--json'], e);
    expect(history.json<unknown[]>().length).toBeGreaterThan(historyBefore);
    expect(history.stdout).toContain('bad turn');
    const head = async () => (await runCli(['agents', 'history', 'r1', '--json'], e)).json<unknown[]>().length;

    // A retry with the same command id changes nothing.
    const before = await head();
    const retry = await runCli(['agents', 'restore', 'r1', '--to', String(good), '--command-id', 'undo-1', '--json'], e);
    expect(retry.code, retry.stderr).toBe(0);
    expect(await head()).toBe(before);

    // Replays reproduce it: a rebuild of agent-state from the archive and the stream gives the restored state.
    await expect.poll(async () => (await runCli(['projections', 'rebuild', 'agent-state'], e, 120_000)).code, { timeout: 130_000 }).toBe(0);
    expect((await runCli(['agents', 'get', 'r1', '--json'], e)).json<AgentStateView>().state).toEqual({ count: 1, note: 'good turn' });

    const bad = await runCli(['agents', 'restore', 'r1', '--to', 'yesterday-ish'], e);
    expect(expectOneLineError(bad)).toMatch(/^mister-smith: INVALID_ARGUMENT: /);
    up.kill('SIGINT');
    expect((await up.exit(60_000)).code).toBe(0);
  }, 240_000);
});
