import type { PruneReport } from '@mister-smith/projections';
import { stateChanged, writeAgentSnapshot } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { eventArchiveProjection, ProjectionRunner, streamSubjects } from '@mister-smith/projections';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, tempDataDir } from './cliTestKit.test.js';

describe('archive prune (built CLI, real servers)', () => {
  it('reports what the policy would prune with --dry-run, then prunes it, keeping the newest per key and the last N', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    await using archive = new ProjectionRunner(eventArchiveProjection('agentState', streamSubjects(env.topology, 'agentState')), { nats: env.nats, pg: env.pg, topology: env.topology });
    await archive.start();
    let last = 0;
    for (let i = 1; i <= 20; i++) last = (await env.logs.agentState.append(stateChanged('a1', { key: 'count', op: 'put', value: i, stored: null, strategy: 'lww', writer: 'w' }))).seq;
    await writeAgentSnapshot(env.pg.db, { agentId: 'a1', epoch: await env.logs.agentState.epoch(), seq: last, state: { count: 20 }, events: 20 });
    for (let i = 0; i < 200 && (await archive.status()).checkpoint.seq < last; i++) await new Promise((r) => setTimeout(r, 50));

    const dry = await runCli(['archive', 'prune', '--keep-last', '5', '--dry-run', '--json'], e);
    expect(dry.json<PruneReport>()).toMatchObject({ dryRun: true, eligible: 15, pruned: 0, agents: 1 });
    expect((await runCli(['archive', 'prune', '--keep-for', '1d', '--dry-run'], e)).stdout).toMatch(/^dry run: 0 archived events of 0 agents would be pruned/);
    const run = await runCli(['archive', 'prune', '--keep-last', '5'], e);
    expect(run.lines.at(-1)).toMatch(/^pruned 15 archived events of 1 agents/);
    expect(expectOneLineError(await runCli(['archive', 'prune', '--keep-for', 'forever'], e))).toMatch(/^mister-smith: INVALID_ARGUMENT: a duration is/);
  }, 120_000);
});
