import { describe, expect, it } from 'vitest';
import { startTestEnv } from '@mister-smith/core/testing';
import { agentKvKey, decodeKvStateEntry } from '@mister-smith/core';
import { agentStateProjection } from '../projections/agentStateProjection.js';
import { ProjectionRunner } from './ProjectionRunner.js';
import { readCheckpoint } from '../pg/checkpoints.js';
import { waitFor } from '../testing/waitFor.js';
import { stateSnapshot } from '../testing/queryRows.js';
import { expectedState, stateWorkload } from '../testing/stateWorkload.js';

describe('ProjectionRunner', () => {
  it('projects agent state into PostgreSQL and KV and records its checkpoint', async () => {
    await using env = await startTestEnv();
    const kv = await env.bucket('agentState');
    const events = stateWorkload(300, { agents: 5, keys: 4 });
    const acks = await env.logs.agentState.appendBatch(events);
    const epoch = await env.logs.agentState.epoch();
    await using runner = new ProjectionRunner(agentStateProjection({ kv }), { nats: env.nats, pg: env.pg, topology: env.topology });
    await runner.start();
    const last = acks[acks.length - 1]!.seq;
    await waitFor(async () => (await readCheckpoint(env.pg.db, 'agent-state'))?.seq === last, { what: 'checkpoint at head' });
    const rows = await stateSnapshot(env.pg);
    const expected = expectedState(events, acks.map((a) => a.seq), epoch);
    expect(rows).toHaveLength(expected.size);
    for (const r of rows) {
      const e = expected.get(`${String(r.agent_id)}/${String(r.state_key)}`)!;
      expect(r.version).toBe(e.seq);
      expect(r.tombstone).toBe(e.tombstone);
      expect(r.state_value).toEqual(e.value);
      const entry = await kv.get(agentKvKey(String(r.agent_id), String(r.state_key)));
      expect(decodeKvStateEntry('x', entry!.value).seq).toBe(e.seq);
    }
    const status = await runner.status();
    expect(status).toMatchObject({ state: 'running', active: true, lag: 0, checkpoint: { epoch, seq: last } });
  });
});
