import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestEnv } from '@mister-smith/core/testing';
import { createStateStore, JetStreamKvStore, silentLogger } from '@mister-smith/core';
import { counterAgent, createSupervisor } from '@mister-smith/actors';
import { agentStateProjection, createProjectionHost } from '@mister-smith/projections';
import { startBridge } from '@mister-smith/bridge';

describe('an operator edits agent state directly in SQL', () => {
  it('reaches KV, readers and the ACTIVE agent through the outbox, the bridge and the agent-state projection, without echo', async () => {
    await using env = await startTestEnv();
    const logger = silentLogger();
    const bridge = await startBridge({ pg: env.pg, nats: env.nats, topology: env.topology, logger, pollIntervalMs: 200 });
    const kv = await JetStreamKvStore.open(env.nats, env.topology.buckets.agentState.bucket);
    const projector = createProjectionHost(env, [agentStateProjection({ kv })]);
    await projector.start();
    const supervisor = await createSupervisor({ nats: env.nats, pg: env.pg, topology: env.topology, agentTypes: [counterAgent], logger });
    const reader = await createStateStore(env);
    try {
      await supervisor.spawn('counter', 'ops-1');
      expect((await supervisor.command('ops-1', 'increment', { key: 'count', by: 5 })).result).toBe(5);
      await supervisor.flush();
      expect(await reader.read('ops-1', 'count')).toBe(5);
      const outboxBefore = await env.pg.db.selectFrom('mister_smith.outbox').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
      expect(outboxBefore.n).toBe(0); // the framework's own flush is not echoed

      // The operator's edit: a plain UPDATE, as anyone with SQL access would write it.
      await sql`UPDATE agents.state SET state_value = '100'::jsonb WHERE agent_id = 'ops-1' AND state_key = 'count'`.execute(env.pg.db);

      // Readers in any process see it (KV moved forward by the projection, L1 invalidated by the watch).
      await expect.poll(() => reader.read('ops-1', 'count'), { timeout: 20_000, interval: 200 }).toBe(100);
      // The ACTIVE agent builds on it: its next command starts from the edited value.
      expect((await supervisor.command('ops-1', 'increment', { key: 'count', by: 1 })).result).toBe(101);
      await supervisor.flush();
      await expect.poll(async () => (await env.pg.db.selectFrom('agents.state').select('state_value').where('agent_id', '=', 'ops-1').where('state_key', '=', 'count').executeTakeFirstOrThrow()).state_value, { timeout: 10_000 }).toBe(101);
      // Exactly one outbox row (the operator's), no echo of the projection's or the agent's writes.
      const outbox = await env.pg.db.selectFrom('mister_smith.outbox').select(['subject', 'event_type']).execute();
      expect(outbox).toEqual([{ subject: 'agents.state.ops-1', event_type: 'StateEditedInSql' }]);
    } finally {
      await reader.close();
      await supervisor.stop();
      await projector.stop();
      await bridge.stop();
    }
  });
});
