import type { AgentStateAt, ForkResult } from '@mister-smith/actors';
import { startTestEnv } from '@mister-smith/core/testing';
import { eventArchiveProjection, ProjectionRunner, streamSubjects } from '@mister-smith/projections';
import { createSupervisorService } from '@mister-smith/supervisor';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, tempDataDir } from './cliTestKit.test.js';

describe('history: agents get --at and agents fork (built CLI, real servers)', () => {
  it('reads an agent as of a revision or a time, from the stream and, once evicted, from the archive; forks it into a new agent', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    await using archive = new ProjectionRunner(eventArchiveProjection('agentState', streamSubjects(env.topology, 'agentState')), { nats: env.nats, pg: env.pg, topology: env.topology });
    await archive.start();
    const svc = await createSupervisorService({ nats: env.nats, pg: env.pg, topology: env.topology, supervisorId: 'sup-h', scheduler: { enabled: false } });
    try {
      const sup = svc.supervisor;
      await sup.spawn('counter', 'c1');
      const v1 = (await sup.command('c1', 'increment', { by: 1 })).version!.seq;
      const v2 = (await sup.command('c1', 'increment', { by: 10 })).version!.seq;
      await new Promise((r) => setTimeout(r, 20));
      const between = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 20));
      const v3 = (await sup.command('c1', 'increment', { by: 100 })).version!.seq;
      expect(v1 < v2 && v2 < v3).toBe(true);

      const at2 = await runCli(['agents', 'get', 'c1', '--at', String(v2), '--json'], e);
      expect(at2.json<AgentStateAt>()).toMatchObject({ agentId: 'c1', revision: v2, state: { count: 11 }, complete: true, sources: { archive: 0 } });
      expect((await runCli(['agents', 'get', 'c1', 'count', '--at', between], e)).stdout).toBe('11\n');
      expect((await runCli(['agents', 'get', 'c1', '--at', String(v3)], e)).lines).toEqual([expect.stringMatching(new RegExp(`^c1 at revision ${v3} \\(\\d{4}-`)), '  count = 111']);
      expect(expectOneLineError(await runCli(['agents', 'get', 'c1', '--at', 'yesterday'], e))).toMatch(/^mister-smith: INVALID_ARGUMENT: --at takes a revision/);
      expect(await sup.getAt('c1', v1)).toMatchObject({ revision: v1, state: { count: 1 } });

      // The stream evicts everything up to v3 (purged here); the archive has it.
      for (let i = 0; i < 200 && (await archive.status()).checkpoint.seq < v3; i++) await new Promise((r) => setTimeout(r, 100));
      await env.nats.jsm.streams.purge(env.topology.streams.agentState.name, { seq: v3 + 1 });
      const fromArchive = (await runCli(['agents', 'get', 'c1', '--at', String(v2), '--json'], e)).json<AgentStateAt>();
      expect(fromArchive).toMatchObject({ revision: v2, state: { count: 11 }, complete: true });
      expect(fromArchive.sources.archive).toBeGreaterThan(0);

      // Fork through the supervisor API: the new agent starts from revision v2 and goes its own way.
      const fork = await runCli(['agents', 'fork', 'c1', '--at', String(v2), '--to', 'c1-fork', '--json'], e);
      expect(fork.json<ForkResult>()).toMatchObject({ agentId: 'c1-fork', agentType: 'counter', forkedFrom: { agentId: 'c1', revision: v2 }, state: { count: 11 } });
      expect((await sup.command('c1-fork', 'increment', { by: 5 })).result).toBe(16);
      expect((await sup.get('c1', 'count')).value).toBe(111);
      const row = await env.pg.db.selectFrom('agents.registry').select('metadata').where('agent_id', '=', 'c1-fork').executeTakeFirstOrThrow();
      expect(row.metadata).toMatchObject({ forkedFrom: { agentId: 'c1', revision: v2 } });
      expect(expectOneLineError(await runCli(['agents', 'fork', 'c1', '--at', String(v2), '--to', 'c1-fork'], e))).toMatch(/^mister-smith: INVALID_ARGUMENT: agent c1-fork exists already/);
    } finally {
      await svc.stop();
    }
  }, 180_000);
});
