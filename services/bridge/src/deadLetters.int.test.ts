import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { startBridge } from './startBridge.js';
import { bridgeOptions, sql, waitForDrained, waitForEvents } from './bridgeTestKit.test.js';

describe('bridge: rows that cannot be published', () => {
  it('dead-letters them with a reason and keeps publishing the rows behind them', async () => {
    await using env = await startTestEnv();
    await sql(env, `INSERT INTO mister_smith.outbox (subject, event_type, payload) VALUES
      ('agents.state.bad agent', 'StateEditedInSql', '{}'),
      ('bogus.subject', 'Whatever', '{}'),
      ('agents.unknown.a1', 'StateEditedInSql', '{"agent_id":"a1"}'),
      ('agents.state.a1', '', '{"agent_id":"a1"}')`);
    // Through the trigger: an agent id with a dot yields a subject naming another agent.
    await sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ('a.b', 'k', '1', 0, 1)`);
    await sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ('good', 'k', '1', 0, 1)`);
    await using bridge = await startBridge(bridgeOptions(env));
    await waitForDrained(env);
    const [good] = await waitForEvents(env.logs.agentState, 'agents.>', 1);
    expect(good!.subject).toBe('agents.state.good');
    const dead = await sql<{ source: string; subject: string; reason: string; stream: string | null; payload: string }>(env, 'SELECT * FROM mister_smith.dead_letters ORDER BY id');
    expect(dead.map((d) => [d.subject, d.reason.split(':')[0]])).toEqual([
      ['agents.state.bad agent', 'INVALID_SUBJECT'],
      ['bogus.subject', 'INVALID_SUBJECT'],
      ['agents.unknown.a1', 'INVALID_SUBJECT'],
      ['agents.state.a1', 'MALFORMED_EVENT'],
      ['agents.state.a.b', 'INVALID_ID'],
    ]);
    expect(dead.every((d) => d.source === 'bridge')).toBe(true);
    expect(dead[2]!.stream).toBe(env.topology.streams.agentState.name);
    expect(JSON.parse(dead[4]!.payload)).toMatchObject({ event_type: 'StateEditedInSql', payload: { agent_id: 'a.b' } });
    expect(bridge.status()).toMatchObject({ deadLettered: 5, published: 1 });
  });
});
