import { latestAgentSnapshot } from '@mister-smith/core';
import { describe, expect, it } from 'vitest';
import { counterAgent } from '../agentTypes/counterAgent.js';
import { startAgentHarness } from '../testing/index.js';
import { readAgentAt } from './readAgentAt.js';
import { snapshotAgent } from './snapshotAgent.js';

describe('snapshots (real NATS and PostgreSQL)', () => {
  it('the owner snapshots every N events; --at reads start from the latest snapshot at or before N and equal the whole fold', async () => {
    await using harness = await startAgentHarness([counterAgent], { supervisor: { supervisorId: 'sup-snap', snapshots: { every: 5 } } });
    const { env, supervisor: sup } = harness;
    const versions: number[] = [];
    try {
      await sup.spawn('counter', 'c1');
      for (let i = 1; i <= 23; i++) versions.push((await sup.command('c1', 'increment', { by: i })).version!.seq);
    } finally {
      await sup.stop(); // waits for the snapshots in flight
    }
    const deps = { log: env.logs.agentState, pg: env.pg };
    const snaps = await env.pg.db.selectFrom('mister_smith.agent_snapshots').selectAll().where('agent_id', '=', 'c1').orderBy('seq').execute();
    expect(snaps.length).toBeGreaterThanOrEqual(1);
    for (const s of snaps) {
      const whole = await readAgentAt({ ...deps, useSnapshots: false }, 'c1', Number(s.seq), counterAgent.initialState);
      expect({ count: (s.state as { count: number }).count, seq: Number(s.seq) }).toEqual({ count: whole.state.count, seq: whole.revision });
    }
    for (const [i, v] of versions.entries()) {
      const fromSnapshot = await readAgentAt(deps, 'c1', v, counterAgent.initialState);
      const whole = await readAgentAt({ ...deps, useSnapshots: false }, 'c1', v, counterAgent.initialState);
      expect(fromSnapshot).toMatchObject({ revision: v, state: { count: ((i + 1) * (i + 2)) / 2 }, complete: true });
      expect({ ...fromSnapshot, snapshot: undefined, sources: undefined }).toEqual({ ...whole, snapshot: undefined, sources: undefined });
    }
    const head = await readAgentAt(deps, 'c1', versions[22]!, counterAgent.initialState);
    expect(head.snapshot).toBe(Number(snaps[snaps.length - 1]!.seq));
    expect(head.sources.stream + head.sources.archive).toBeLessThan(23);
    // A time point starts from the snapshot taken at or before it too.
    const atTime = await readAgentAt(deps, 'c1', new Date().toISOString(), counterAgent.initialState);
    expect(atTime).toMatchObject({ revision: versions[22], state: { count: 276 }, snapshot: head.snapshot });
  });

  it('snapshotAgent folds only what follows the previous snapshot and writes nothing when up to date', async () => {
    await using harness = await startAgentHarness([counterAgent], { supervisor: { supervisorId: 'sup-snap2', snapshots: { every: 0 } } });
    const { env, supervisor: sup } = harness;
    try {
      await sup.spawn('counter', 'c2');
      for (let i = 0; i < 7; i++) await sup.command('c2', 'increment', { by: 1 });
    } finally {
      await sup.stop();
    }
    const deps = { log: env.logs.agentState, pg: env.pg };
    expect(await latestAgentSnapshot(env.pg.db, 'c2', { epoch: await env.logs.agentState.epoch() })).toBeUndefined(); // every: 0
    const first = await snapshotAgent(deps, 'c2', counterAgent.initialState);
    expect(first).toMatchObject({ folded: 7, snapshot: { agentId: 'c2', events: 7, state: { count: 7 } } });
    expect(await snapshotAgent(deps, 'c2', counterAgent.initialState)).toEqual({ folded: 0, skipped: 'up-to-date' });
  });
});
