/**
 * Archive retention (issue 16): with snapshots taken every 10 events, pruning the archive leaves
 * position-only `$pruned` placeholders; after the stream evicted everything, a rebuild of
 * `agents.state` from the pruned archive still equals the live table, `--at` reads at the head
 * stay whole, and a read inside the pruned range says it is incomplete.
 */
import { counterAgent, createSupervisor, readAgentAt } from '@mister-smith/actors';
import { startTestEnv } from '@mister-smith/core/testing';
import { agentStateProjection, createProjectionHost, eventArchiveProjection, pruneArchive, streamSubjects, type PruneProgress } from '@mister-smith/projections';
import { queryRows, stateSnapshot, waitCaughtUp } from '@mister-smith/projections/testing';
import { describe, expect, it } from 'vitest';

describe('archive retention (real NATS and PostgreSQL)', () => {
  it('prunes superseded events behind each snapshot; a rebuild from the pruned archive equals the live read model', async () => {
    await using env = await startTestEnv();
    await using host = createProjectionHost({ nats: env.nats, pg: env.pg, topology: env.topology },
      [agentStateProjection(), eventArchiveProjection('agentState', streamSubjects(env.topology, 'agentState'))], { lockPollMs: 100 });
    await host.start();
    const sup = await createSupervisor({ ...env, supervisorId: 'sup-ret', agentTypes: [counterAgent], snapshots: { every: 10 } });
    const firstOf: Record<string, number> = {};
    try {
      for (const id of ['r1', 'r2', 'r3']) await sup.spawn('counter', id);
      firstOf.r3 = (await sup.command('r3', 'set', { key: 'once', value: 42 })).version!.seq; // written once: never pruned
      for (let i = 0; i < 25; i++) {
        const v = (await sup.command('r1', 'increment', { by: i + 1 })).version!.seq;
        firstOf.r1 ??= v;
        await sup.command('r2', 'increment', { key: `k${i % 3}`, by: 1 });
        await sup.command('r3', 'increment', {});
      }
    } finally {
      await sup.stop();
    }
    await waitCaughtUp(host);
    const live = await stateSnapshot(env.pg);
    const stream = env.topology.streams.agentState.name;
    const { lastSeq } = await env.logs.agentState.bounds();
    await env.nats.jsm.streams.purge(stream, { seq: lastSeq + 1 }); // the stream evicted everything: rebuilds read the archive

    expect((await pruneArchive(env.pg, { stream, policy: { keepForMs: 86_400_000 }, dryRun: true })).eligible).toBe(0); // all younger than a day
    const dry = await pruneArchive(env.pg, { stream, policy: { keepLast: 2 }, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, pruned: 0, agents: 3 });
    expect(dry.eligible).toBeGreaterThan(30);
    expect(await queryRows(env.pg, `SELECT 1 FROM mister_smith.event_archive WHERE event_type = '$pruned'`)).toHaveLength(0);

    const progress: PruneProgress[] = [];
    const report = await pruneArchive(env.pg, { stream, policy: { keepLast: 2 }, batchSize: 16, onProgress: (p) => progress.push(p) });
    expect(report).toMatchObject({ pruned: dry.eligible, eligible: dry.eligible, agents: 3 });
    expect(progress.at(-1)).toEqual({ pruned: dry.eligible, total: dry.eligible });
    expect((await pruneArchive(env.pg, { stream, policy: { keepLast: 2 } })).eligible).toBe(0);
    const [{ n }] = await queryRows<{ n: number }>(env.pg, `SELECT count(*)::int AS n FROM mister_smith.event_archive WHERE event_type = '$pruned' AND envelope = '{"$pruned": true}'::jsonb`) as [{ n: number }];
    expect(n).toBe(dry.eligible);

    const rebuilt = await host.rebuild('agent-state');
    expect(rebuilt).toMatchObject({ contiguous: true, fromStream: 0 });
    expect(rebuilt.fromArchive).toBeGreaterThan(0);
    expect(await stateSnapshot(env.pg)).toEqual(live);

    const deps = { log: env.logs.agentState, pg: env.pg };
    expect(await readAgentAt(deps, 'r1', lastSeq, counterAgent.initialState)).toMatchObject({ state: { count: 325 }, complete: true });
    expect(await readAgentAt(deps, 'r3', lastSeq, counterAgent.initialState)).toMatchObject({ state: { count: 25, once: 42 }, complete: true });
    expect((await readAgentAt(deps, 'r1', firstOf.r1! + 40, counterAgent.initialState)).complete).toBe(false);
  });
});
