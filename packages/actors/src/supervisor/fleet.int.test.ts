import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { counterAgent } from '../agentTypes/counterAgent.js';
import { defineAgentType } from '../agentTypes/defineAgentType.js';
import { createSupervisor } from './createSupervisor.js';
import { eventually, stateRows } from './supervisorTestKit.test.js';
import { mapLimit } from '@mister-smith/core/util';

// The counter with a short idle TTL, so the fleet passivates within the test.
const sleepyCounter = defineAgentType({ ...counterAgent, name: 'sleepy-counter', idleTtlMs: 2_000 });
const N = 1_000;
const ids = Array.from({ length: N }, (_, i) => `agent-${i}`);

describe('a fleet of 1,000 agents', () => {
  it('spawns, commands, passivates and re-activates every agent with its state intact', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    const sup = await createSupervisor({ ...env, agentTypes: [sleepyCounter] });
    try {
      const spawned = await mapLimit(ids, 200, (id) => sup.spawn('sleepy-counter', id));
      expect(spawned.every((s) => s.supervisorId === sup.supervisorId)).toBe(true);
      const first = await mapLimit(ids, 200, async (id, i) => (await sup.command(id, 'increment', { by: i + 1 })).result);
      expect(first).toEqual(ids.map((_, i) => i + 1));
      // Idle TTL: every agent flushes and expires, leaving memory.
      await eventually(() => sup.counts().ACTIVE + sup.counts().FLUSHING + sup.counts().HYDRATING === 0, 30_000, 'the fleet to passivate');
      const rows = await stateRows(env);
      expect(ids.filter((id, i) => rows.get(`${id}.count`) !== i + 1)).toEqual([]);
      expect((await sup.list({ state: 'EXPIRED', limit: 100_000 })).length).toBe(N);
      // A command to an EXPIRED agent re-activates it from what was stored.
      const again = await mapLimit(ids, 200, async (id) => (await sup.command(id, 'increment', { by: 1000 })).result);
      expect(again).toEqual(ids.map((_, i) => i + 1001));
    } finally {
      await sup.stop();
    }
    const rows = await stateRows(env);
    expect(ids.filter((id, i) => rows.get(`${id}.count`) !== i + 1001)).toEqual([]);
  }, 120_000);
});
