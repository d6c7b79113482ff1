import { describe, expect, it } from 'vitest';
import { seedAgentState, startTestEnv } from '@mister-smith/core/testing';
import { JetStreamEventLog, lifecycleChanged, MisterSmithError, stateChanged, supervisorHeartbeat, type EventEnvelope } from '@mister-smith/core';
import { createProjectionHost } from '../host/createProjectionHost.js';
import { agentRegistryProjection } from '../projections/agentRegistryProjection.js';
import { agentStateProjection } from '../projections/agentStateProjection.js';
import { eventArchiveProjection } from '../projections/eventArchiveProjection.js';
import { taskViewProjection } from '../projections/taskViewProjection.js';
import { rebuildProjection } from './rebuildProjection.js';
import { streamSubjects } from '../projections/builtinProjections.js';
import type { RebuildProgress } from '../types/ProjectionStatus.js';
import { queryRows, registrySnapshot, stateSnapshot } from '../testing/queryRows.js';
import { waitCaughtUp } from '../testing/waitCaughtUp.js';

const sortKey = (r: Record<string, unknown>) => `${String(r.agent_id)}/${String(r.state_key)}`;

describe('rebuildProjection', () => {
  it('equals the live result after 8 concurrent writers, ends caught up while they keep writing, and restores triggers and grants', async () => {
    await using env = await startTestEnv();
    await queryRows(env.pg, `GRANT SELECT ON agents.state TO PUBLIC`);
    await queryRows(env.pg, `GRANT UPDATE (state_value) ON agents.state TO PUBLIC`);
    await queryRows(env.pg, `COMMENT ON TABLE agents.state IS 'agent state'`);
    await using host = createProjectionHost({ nats: env.nats, pg: env.pg, topology: env.topology },
      [agentStateProjection({ kv: await env.bucket('agentState') }), agentRegistryProjection()], { lockPollMs: 100 });
    await host.start();
    const triggersBefore = await queryRows<{ tgname: string }>(env.pg, `SELECT tgname FROM pg_trigger WHERE tgrelid = 'agents.state'::regclass AND NOT tgisinternal ORDER BY 1`);
    expect(triggersBefore.map((t) => t.tgname)).toContain('trigger_agent_state_outbox');
    // A session that fires the outbox trigger before and after the swap.
    const operator = await env.pg.connect();
    try {
      await operator.query(`INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ('op', 'k', '1', 0, 0)`);
      const writers = await Promise.all(Array.from({ length: 8 }, async () => new JetStreamEventLog(await env.connect(), env.topology.streams.agentState, { namespace: env.namespace })));
      let stop = false;
      let rounds = 0;
      const write = async (w: JetStreamEventLog, i: number) => {
        for (let n = 0; n < 240 && !stop; n += 20) {
          const batch: EventEnvelope[] = [];
          for (let j = 0; j < 20; j++) {
            const agent = `agent-${(n + j) % 6}`;
            batch.push(stateChanged(agent, { key: `k${j % 4}`, op: (n + j + i) % 9 === 0 ? 'delete' : 'put', value: { writer: i, n: n + j }, stored: { w: i }, strategy: 'lww', writer: `w${i}` }));
          }
          batch.push(lifecycleChanged(`agent-${(n + i) % 6}`, { from: 'COLD', to: (['HYDRATING', 'ACTIVE', 'FLUSHING'] as const)[n % 3]!, reason: 'test', agentType: 'worker', supervisorId: `s${i}` }));
          batch.push(supervisorHeartbeat({ supervisorId: `s${i}`, agents: [`agent-${i % 6}`, `agent-${(i + 1) % 6}`], intervalMs: 1000 }));
          await w.appendBatch(batch);
          rounds++;
        }
      };
      const writing = Promise.all(writers.map((w, i) => write(w, i)));
      while (rounds < 24) await new Promise((r) => setTimeout(r, 20));
      const progress: RebuildProgress[] = [];
      const report = await host.rebuild('agent-state', { onProgress: (p) => progress.push(p), batchSize: 300 });
      const headAtSwap = report.checkpoint;
      stop = true;
      await writing;
      expect(report).toMatchObject({ mode: 'shadow', contiguous: true, fromArchive: 0 });
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.some((p) => p.phase === 'catch-up' || p.phase === 'swap')).toBe(true);
      expect(headAtSwap).toBeGreaterThan(0);
      await waitCaughtUp(host);

      // Live after the swap equals the stream's last write per key.
      const expected = new Map<string, { value: unknown; tombstone: boolean; seq: number }>();
      for await (const item of env.logs.agentState.read({ filter: 'agents.state.>' })) {
        if (item.kind !== 'event' || item.record.event.type !== 'StateChanged') continue;
        const d = item.record.event.data as { key: string; op: string; value: unknown };
        expected.set(`${item.record.event.agentId}/${d.key}`, { value: d.op === 'delete' ? null : d.value, tombstone: d.op === 'delete', seq: item.record.seq });
      }
      const live = await stateSnapshot(env.pg);
      expect(live.map((r) => [sortKey(r), r.version, r.tombstone, r.state_value]))
        .toEqual([...expected.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, v.seq, v.tombstone, v.value]));
      const liveRegistry = await registrySnapshot(env.pg);
      expect(liveRegistry.length).toBe(6);

      // A quiescent rebuild reproduces both tables exactly.
      await host.rebuild('agent-state');
      await host.rebuild('agent-registry');
      expect(await stateSnapshot(env.pg)).toEqual(live);
      expect(await registrySnapshot(env.pg)).toEqual(liveRegistry);

      // What LIKE does not copy came back: trigger (firing in an older session too), grants, comment, index names.
      const triggers = await queryRows<{ tgname: string }>(env.pg, `SELECT tgname FROM pg_trigger WHERE tgrelid = 'agents.state'::regclass AND NOT tgisinternal ORDER BY 1`);
      expect(triggers).toEqual(triggersBefore);
      const outboxBefore = await queryRows<{ n: number }>(env.pg, `SELECT count(*)::int AS n FROM mister_smith.outbox`);
      const edited = await operator.query(`UPDATE agents.state SET state_value = '2' WHERE (agent_id, state_key) = (SELECT agent_id, state_key FROM agents.state ORDER BY 1, 2 LIMIT 1)`);
      expect(edited.rowCount).toBe(1);
      const outboxAfter = await queryRows<{ n: number }>(env.pg, `SELECT count(*)::int AS n FROM mister_smith.outbox`);
      expect(outboxAfter[0]!.n).toBe(outboxBefore[0]!.n + 1);
      const grants = await queryRows<{ privilege_type: string }>(env.pg, `SELECT privilege_type FROM information_schema.role_table_grants WHERE table_schema = 'agents' AND table_name = 'state' AND grantee = 'PUBLIC'`);
      expect(grants.map((g) => g.privilege_type)).toEqual(['SELECT']);
      const columnGrants = await queryRows<{ column_name: string }>(env.pg, `SELECT column_name FROM information_schema.column_privileges WHERE table_schema = 'agents' AND table_name = 'state' AND grantee = 'PUBLIC' AND privilege_type = 'UPDATE'`);
      expect(columnGrants.map((g) => g.column_name)).toEqual(['state_value']);
      const [comment] = await queryRows<{ c: string }>(env.pg, `SELECT obj_description('agents.state'::regclass, 'pg_class') AS c`);
      expect(comment?.c).toBe('agent state');
      const indexes = await queryRows<{ relname: string }>(env.pg, `SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = 'agents.registry'::regclass ORDER BY 1`);
      expect(indexes.map((i) => i.relname)).toEqual(['registry_pkey', 'registry_status_idx']);
      const leftovers = await queryRows(env.pg, `SELECT relname FROM pg_class WHERE relname LIKE '%__rebuild%'`);
      expect(leftovers).toEqual([]);
    } finally {
      operator.release();
    }
  });

  it('replays the archive and then the stream after old messages were purged, and refuses a gap unless forced', async () => {
    await using env = await startTestEnv();
    const archive = eventArchiveProjection('agentState', streamSubjects(env.topology, 'agentState'));
    await using host = createProjectionHost({ nats: env.nats, pg: env.pg, topology: env.topology },
      [agentStateProjection(), agentRegistryProjection(), archive], { lockPollMs: 100 });
    await host.start();
    const log = env.logs.agentState;
    const first = await log.appendBatch(Array.from({ length: 300 }, (_, i) => i % 10 === 0
      ? lifecycleChanged(`a${i % 7}`, { from: 'COLD', to: 'ACTIVE', reason: 'r', agentType: 't', supervisorId: 's' })
      : stateChanged(`a${i % 7}`, { key: `k${i % 5}`, op: 'put', value: i, stored: null, strategy: 'lww', writer: 'w' })));
    await log.append(stateChanged('a1', { key: 'bad', op: 'put', value: 'x', stored: null, strategy: 'lww', writer: 'w' }));
    await waitCaughtUp(host);
    await env.nats.jsm.streams.purge(env.topology.streams.agentState.name, { seq: first[200]!.seq });
    expect((await log.bounds()).firstSeq).toBe(first[200]!.seq);
    // The archive falls behind: the newest events exist only in the stream.
    await host.pause('archive.agent-state');
    await log.appendBatch(Array.from({ length: 100 }, (_, i) => stateChanged(`a${i % 7}`, { key: `k${i % 3}`, op: i % 4 === 0 ? 'delete' : 'put', value: -i, stored: null, strategy: 'lww', writer: 'w' })));
    await waitCaughtUp(host, ['agent-state', 'agent-registry']);
    const live = await stateSnapshot(env.pg);
    const liveRegistry = await registrySnapshot(env.pg);

    // Small batches: archive pages are read ahead while the previous page is written, stream batches are filled.
    const report = await host.rebuild('agent-state', { batchSize: 64 });
    expect(report).toMatchObject({ contiguous: true, fromArchive: 301, fromStream: 100 });
    expect(await stateSnapshot(env.pg)).toEqual(live);
    await host.rebuild('agent-registry');
    expect(await registrySnapshot(env.pg)).toEqual(liveRegistry);

    // The archive itself rebuilds in place: re-reading the stream adds nothing it had.
    await host.resume('archive.agent-state');
    await waitCaughtUp(host, ['archive.agent-state']);
    const archived = await queryRows<{ n: number }>(env.pg, `SELECT count(*)::int AS n FROM mister_smith.event_archive`);
    expect(await host.rebuild('archive.agent-state')).toMatchObject({ mode: 'in-place' });
    await waitCaughtUp(host, ['archive.agent-state']);
    expect(await queryRows(env.pg, `SELECT count(*)::int AS n FROM mister_smith.event_archive`)).toEqual(archived);

    // Lose the oldest archived events: the rebuild refuses, the live table stays, force rebuilds what is left.
    await queryRows(env.pg, `DELETE FROM mister_smith.event_archive WHERE seq < 50`);
    const refused = await host.rebuild('agent-state').catch((e: unknown) => e);
    expect(MisterSmithError.is(refused, 'NOT_CONTIGUOUS')).toBe(true);
    expect((refused as MisterSmithError).details).toMatchObject({ gaps: [{ fromSeq: 1, toSeq: 49 }] });
    expect(await stateSnapshot(env.pg)).toEqual(live);
    expect((await host.statusOf('agent-state')).state).toBe('running');
    const forced = await host.rebuild('agent-state', { force: true });
    expect(forced).toMatchObject({ contiguous: false, gaps: [{ fromSeq: 1, toSeq: 49 }] });
  });
});

describe('rebuildProjection run twice at once', () => {
  it('lets one rebuild of a projection win and gives the other a typed LOCKED error, never a clash of shadow tables', async () => {
    await using env = await startTestEnv();
    await using host = createProjectionHost({ nats: env.nats, pg: env.pg, topology: env.topology }, [taskViewProjection(), agentStateProjection()], { lockPollMs: 100 });
    await host.start();
    const seeded = await seedAgentState(env, { agents: 9, keys: 4, writes: 400, deleteEvery: 5 });
    await waitCaughtUp(host);
    const live = await stateSnapshot(env.pg);
    expect(live.map((r) => [`${String(r.agent_id)}/${String(r.state_key)}`, r.version])).toEqual(
      [...seeded.expected.entries()].map(([k, v]) => [k, v.seq]).sort(([a], [b]) => String(a).localeCompare(String(b))));
    const runner = host.runner('agent-state');
    const deps = { nats: env.nats, pg: env.pg, topology: env.topology };
    // Three instances that all believe they run the projection (as two did after a PostgreSQL
    // outage in the chaos suite): they start the same rebuild at the same moment.
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => rebuildProjection({ ...deps, live: runner }, runner.projection, { batchSize: 50 })));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as unknown);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(2);
    // A rebuild without a live runner, while this one runs the projection: typed too.
    expect(MisterSmithError.is(await rebuildProjection(deps, agentStateProjection()).catch((e: unknown) => e), 'LOCKED')).toBe(true);
    for (const e of lost) {
      expect(MisterSmithError.is(e, 'LOCKED'), String(e)).toBe(true);
      expect((e as Error).message).toMatch(/agent-state/);
    }
    expect((won[0] as PromiseFulfilledResult<{ read: number }>).value.read).toBe(400);
    expect(await stateSnapshot(env.pg)).toEqual(live);
    // Nothing is left behind, and the next rebuild runs.
    expect(await queryRows(env.pg, `SELECT relname FROM pg_class WHERE relname LIKE '%__rebuild%'`)).toEqual([]);
    expect((await host.rebuild('agent-state')).read).toBe(400);
    expect(await stateSnapshot(env.pg)).toEqual(live);
    await waitCaughtUp(host);
  });

  it('does not swap in when the checkpoint moved away from where the paused live projection stood', async () => {
    await using env = await startTestEnv();
    await using host = createProjectionHost({ nats: env.nats, pg: env.pg, topology: env.topology }, [agentStateProjection()], { lockPollMs: 100 });
    await host.start();
    await seedAgentState(env, { agents: 5, keys: 1, writes: 50 });
    await waitCaughtUp(host);
    const live = await stateSnapshot(env.pg);
    const runner = host.runner('agent-state');
    // A live control whose paused position is not the checkpoint's (a writer that should not exist moved it).
    const stale = { pause: async () => ({ ...(await runner.pause()), seq: 7 }), resume: () => runner.resume(), setRebuild: () => undefined };
    const e = await rebuildProjection({ nats: env.nats, pg: env.pg, topology: env.topology, live: stale }, runner.projection).catch((x: unknown) => x);
    expect(MisterSmithError.is(e, 'LOCKED'), String(e)).toBe(true);
    expect((e as Error).message).toMatch(/checkpoint of agent-state moved/);
    expect(await stateSnapshot(env.pg)).toEqual(live);
    expect(await queryRows(env.pg, `SELECT relname FROM pg_class WHERE relname LIKE '%__rebuild%'`)).toEqual([]);
    await waitCaughtUp(host);
  });
});
