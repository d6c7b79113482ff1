import { frameworkTransaction, upsertStateRows } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { startBridge } from './startBridge.js';
import { bridgeOptions, outboxRows, readEvents, sql, waitForDrained, waitForEvents } from './bridgeTestKit.test.js';

describe('bridge: no echo loop', () => {
  it('publishes nothing for the framework\'s own writes, and publishes a direct SQL edit', async () => {
    await using env = await startTestEnv();
    await using bridge = await startBridge(bridgeOptions(env));
    await frameworkTransaction(env.pg.db, (trx) => upsertStateRows(trx, [
      { agentId: 'a1', stateKey: 'counter', value: 1, epoch: 1, seq: 10, stored: null, strategy: 'lww' },
      { agentId: 'a1', stateKey: 'name', value: 'x', epoch: 1, seq: 11, stored: null, strategy: 'lww' },
    ]));
    expect(await outboxRows(env)).toHaveLength(0);

    await sql(env, `UPDATE agents.state SET state_value = '2', version = 12 WHERE agent_id = 'a1' AND state_key = 'counter'`);
    const [edit] = await waitForEvents(env.logs.agentState, 'agents.>', 1);
    expect(edit).toMatchObject({ type: 'StateEditedInSql', subject: 'agents.state.a1', agentId: 'a1', data: { operation: 'UPDATE', old_value: 1, new_value: 2, state_key: 'counter' } });
    await waitForDrained(env);
    await new Promise((r) => setTimeout(r, 500));
    expect(await readEvents(env.logs.agentState, 'agents.>')).toHaveLength(1);
    expect(bridge.status().published).toBe(1);
  });
});
