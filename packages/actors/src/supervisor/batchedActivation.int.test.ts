import { createStateStore } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { counterAgent } from '../agentTypes/counterAgent.js';
import { createSupervisor } from './createSupervisor.js';

describe('batched activation', () => {
  it('activating many agents at once gives each exactly its own state, writes the stream has beyond PostgreSQL included, and fences each at its own head', async () => {
    await using env = await startTestEnv();
    const ids = Array.from({ length: 30 }, (_, i) => `ba-${i}`);
    // A previous owner's store that flushes only when told: what it wrote after the flush is in the stream alone.
    const before = await createStateStore(env, { flushThreshold: 10_000, flushIntervalMs: 600_000 });
    const expected = new Map<string, Record<string, number>>();
    try {
      for (const [i, id] of ids.entries()) {
        if (i % 3 === 2) { expected.set(id, { count: 0 }); continue; } // never written: the initial state
        await before.write(id, 'count', i);
        await before.write(id, `own-${i}`, i * 10);
        expected.set(id, { count: i, [`own-${i}`]: i * 10 });
      }
      await before.flush();
      for (const [i, id] of ids.entries()) {
        if (i % 3 !== 1) continue;
        await before.write(id, 'count', i + 1000);
        await before.write(id, 'late', i);
        expected.set(id, { ...expected.get(id), count: i + 1000, late: i });
      }
      const sup = await createSupervisor({ ...env, supervisorId: 'sup-batch', agentTypes: [counterAgent] });
      try {
        const spawned = await Promise.all(ids.map((id) => sup.spawn('counter', id)));
        expect(spawned.every((s) => s.lifecycle === 'ACTIVE')).toBe(true);
        for (const id of ids) expect((await sup.get(id)).state, id).toEqual(expected.get(id));
        // Each owner fenced at its own agent's head: its next command commits and builds on that state.
        const replies = await Promise.all(ids.map((id) => sup.command(id, 'increment', {})));
        for (const [i, id] of ids.entries()) expect(replies[i]!.result, id).toBe(expected.get(id)!.count! + 1);
      } finally {
        await sup.stop();
      }
    } finally {
      await before.close();
    }
  });
});
