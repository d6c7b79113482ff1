import { MisterSmithError } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { counterAgent } from '../agentTypes/counterAgent.js';
import { defineAgentType } from '../agentTypes/defineAgentType.js';
import { createSupervisor } from './createSupervisor.js';
import { eventsOf, stateRows } from './supervisorTestKit.test.js';

const durableCounter = defineAgentType({ ...counterAgent, name: 'durable-counter', durability: 'postgres' });

describe("durability 'postgres': a flush that fails after the commit", () => {
  it('says the write is committed (with its version) and a retry with the same command id does not apply it twice', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    await using sup = await createSupervisor({ ...env, agentTypes: [durableCounter] });
    await sup.spawn('durable-counter', 'pd1');
    expect((await sup.command('pd1', 'increment', { by: 1 }, { commandId: 'first' })).result).toBe(1);
    // PostgreSQL refuses this agent's rows from now on (the event still commits in JetStream).
    await sql.raw(`CREATE FUNCTION public.refuse_pd1() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
      CREATE TRIGGER refuse_pd1 BEFORE INSERT OR UPDATE ON agents.state FOR EACH ROW WHEN (NEW.agent_id = 'pd1') EXECUTE FUNCTION public.refuse_pd1();`).execute(env.pg.db);
    let failure: unknown;
    try {
      await sup.command('pd1', 'increment', { by: 10 }, { commandId: 'pay-10' });
    } catch (e) {
      failure = e;
    }
    expect(MisterSmithError.is(failure, 'COMMITTED_NOT_FLUSHED')).toBe(true);
    const err = failure as MisterSmithError;
    expect(err.message).toMatch(/is committed at version \(epoch \d+, seq \d+\)/);
    expect(err.details).toMatchObject({ agentId: 'pd1', key: 'count', committed: true, version: { seq: expect.any(Number) } });
    // The client retries: the owner answers from the record instead of applying it again.
    const retried = await sup.command('pd1', 'increment', { by: 10 }, { commandId: 'pay-10' });
    expect(retried).toMatchObject({ result: 11, duplicate: true, version: err.details.version });
    expect((await sup.get('pd1', 'count')).value).toBe(11);
    // PostgreSQL comes back: the committed write reaches it once.
    await sql.raw('DROP TRIGGER refuse_pd1 ON agents.state; DROP FUNCTION public.refuse_pd1();').execute(env.pg.db);
    await sup.flush();
    expect((await stateRows(env, 'pd1')).get('count')).toBe(11);
    const applied = (await eventsOf(env.logs.agentState, 'agents.state.pd1')).filter((e) => e.type === 'StateChanged' && (e.data as { commandId?: string }).commandId === 'pay-10');
    expect(applied).toHaveLength(1);
  });
});
