import { lifecycleChanged } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import type { ErasureReport } from '@mister-smith/governance';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AgentStateView } from './commands/agentsGet.js';
import { expectOneLineError, runCli, startCli, tempDataDir } from './cliTestKit.test.js';

const FLEET = ['f-1', 'f-2', 'f-3', 'f-4'];

describe('mister-smith agents erase (built CLI, real servers)', () => {
  it('erases one ACTIVE agent of a fleet from every store; nothing of it comes back (in-flight event, rebuild); the others are untouched', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    const up = startCli(['up', '--status-interval', '1'], e);
    await up.waitForLine(/^status: /, 60_000);
    expect((await runCli(['agents', 'spawn', '--type', 'counter', '--id', 'f', '--count', '4'], e)).code).toBe(0);
    for (const [i, id] of FLEET.entries()) {
      expect((await runCli(['agents', 'set', id, 'count', String(10 + i)], e)).code).toBe(0);
      expect((await runCli(['agents', 'set', id, 'profile', JSON.stringify({ name: `agent ${id}` })], e)).code).toBe(0);
    }
    // Everything projected: the agent's rows exist in every read model before the erasure.
    const rowsOf = async (id: string) => {
      const r = await sql<{ t: string; n: number }>`
        SELECT 'state' AS t, count(*)::int AS n FROM agents.state WHERE agent_id = ${id}
        UNION ALL SELECT 'registry', count(*)::int FROM agents.registry WHERE agent_id = ${id}
        UNION ALL SELECT 'archive', count(*)::int FROM mister_smith.event_archive WHERE agent_id = ${id} OR subject IN (${`agents.state.${id}`}, ${`agents.lifecycle.${id}`})`.execute(env.pg.db);
      return Object.fromEntries(r.rows.map((x) => [x.t, x.n]));
    };
    await expect.poll(async () => (await rowsOf('f-2')).state, { timeout: 20_000 }).toBe(2);
    const before = await Promise.all(FLEET.map(async (id) => (await runCli(['agents', 'get', id, '--json'], e)).json<AgentStateView>()));
    const othersBefore = await Promise.all(['f-1', 'f-3', 'f-4'].map(rowsOf));
    expect((await rowsOf('f-2')).archive).toBeGreaterThan(2);

    const refused = await runCli(['agents', 'erase', 'f-2'], e);
    expect(refused.code).toBe(2);
    expect(expectOneLineError(refused)).toMatch(/^mister-smith: USAGE: refusing to erase f-2 without --yes/);

    const erased = await runCli(['agents', 'erase', 'f-2', '--yes', '--json'], e);
    expect(erased.code, erased.stderr).toBe(0);
    const report = erased.json<ErasureReport>();
    expect(report).toMatchObject({ agentId: 'f-2', stopped: true, drained: true });
    expect(report.postgres['agents.state']).toBe(2);
    expect(report.postgres['agents.registry']).toBe(1);
    expect(report.postgres['mister_smith.event_archive']).toBeGreaterThan(2);
    expect(report.nats[env.topology.streams.agentState.name]).toBeGreaterThan(2);
    expect(report.nats[`KV_${env.topology.buckets.agentState.bucket}`]).toBeGreaterThanOrEqual(2);

    const gone = async () => {
      expect(await rowsOf('f-2')).toEqual({ state: 0, registry: 0, archive: 0 });
      const get = await runCli(['agents', 'get', 'f-2'], e);
      expect(expectOneLineError(get)).toMatch(/^mister-smith: UNKNOWN_AGENT: /);
      expect((await runCli(['kv', 'get', 'agent-state', 'f-2.count'], e)).code).toBe(1);
      const tail = await runCli(['events', 'tail', '--agent', 'f-2', '--from', 'start', '--no-follow', '--json'], e);
      expect(tail.lines.map((l) => JSON.parse(l) as { type?: string }).filter((x) => x.type !== undefined && x.type !== 'caught-up')).toEqual([]);
    };
    await gone();

    // An event of the agent published after the erasure (in flight from a stale writer) is not projected back;
    // erasing again removes it from the stream.
    await env.logs.agentState.append(lifecycleChanged('f-2', { from: 'COLD', to: 'HYDRATING', reason: 'late', agentType: 'counter', supervisorId: 'ghost' }));
    const head = (await env.nats.jsm.streams.info(env.topology.streams.agentState.name)).state.last_seq;
    await expect.poll(async () => {
      const r = await sql<{ n: number }>`SELECT min(seq)::int AS n FROM mister_smith.projection_checkpoints WHERE projection IN ('agent-registry', 'archive.agent-state')`.execute(env.pg.db);
      return r.rows[0]!.n;
    }, { timeout: 20_000 }).toBeGreaterThanOrEqual(head);

    expect(await rowsOf('f-2')).toEqual({ state: 0, registry: 0, archive: 0 });
    const late = (await runCli(['agents', 'erase', 'f-2', '--yes', '--json'], e)).json<ErasureReport>();
    expect(late).toMatchObject({ stopped: false, nats: { [env.topology.streams.agentState.name]: 1 }, postgres: {} });
    await gone();

    // A rebuild of every projection from the archive and the streams does not bring it back.
    const rebuilt = await runCli(['projections', 'rebuild', '--all'], e, 120_000);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    await gone();

    // The fleet around it is untouched.
    const after = await Promise.all(['f-1', 'f-3', 'f-4'].map(async (id) => (await runCli(['agents', 'get', id, '--json'], e)).json<AgentStateView>()));
    expect(after.map((a) => a.state)).toEqual([before[0]!.state, before[2]!.state, before[3]!.state]);
    const othersAfter = await Promise.all(['f-1', 'f-3', 'f-4'].map(rowsOf));
    for (const [i, o] of othersAfter.entries()) {
      expect(o.state).toBe(othersBefore[i]!.state);
      expect(o.registry).toBe(1);
      expect(o.archive).toBeGreaterThanOrEqual(othersBefore[i]!.archive!);
    }

    // Erasing again finds nothing and says so.
    const again = await runCli(['agents', 'erase', 'f-2', '--yes'], e);
    expect(again.code).toBe(0);
    expect(again.lines).toEqual(['erased f-2', '  nothing of it was stored']);

    up.kill('SIGINT');
    expect((await up.exit(60_000)).code).toBe(0);
  }, 240_000);
});
