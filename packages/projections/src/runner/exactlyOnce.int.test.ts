import { describe, expect, it } from 'vitest';
import { startTestEnv } from '@mister-smith/core/testing';
import type { StateChanged } from '@mister-smith/core';
import { agentStateProjection } from '../projections/agentStateProjection.js';
import { createProjectionHost } from '../host/createProjectionHost.js';
import { readCheckpoint } from '../pg/checkpoints.js';
import { countingProjection, createCounterTable } from '../testing/countingProjection.js';
import { queryRows, stateSnapshot } from '../testing/queryRows.js';
import { spawnProjectionWorker } from '../testing/spawnProjectionWorker.js';
import { expectedState, stateWorkload } from '../testing/stateWorkload.js';
import { waitFor } from '../testing/waitFor.js';

const randomInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

describe('exactly-once effect', () => {
  it('survives SIGKILL of the projecting process at random points and equals a clean rebuild', async () => {
    await using env = await startTestEnv();
    await createCounterTable(env.pg);
    const events: StateChanged[] = [];
    const seqs: number[] = [];
    const append = async (n: number, salt: string) => {
      const batch = stateWorkload(n, { agents: 8, keys: 6, salt });
      const acks = await env.logs.agentState.appendBatch(batch);
      events.push(...batch);
      seqs.push(...acks.map((a) => a.seq));
    };
    await append(400, 'start');
    const workerEnv = { MS_WORKER_PROJECTIONS: 'agent-state,counter', MS_WORKER_BATCH: '40', MS_WORKER_DELAY_MS: '5' };
    // Two worker processes: one holds the locks, the other waits; SIGKILL the holder mid-batch,
    // the standby takes over; then SIGKILL that one too.
    const first = spawnProjectionWorker(env.childEnv(), workerEnv);
    let second: ReturnType<typeof spawnProjectionWorker> | undefined;
    try {
      await first.commits(randomInt(1, 6));
      second = spawnProjectionWorker(env.childEnv(), workerEnv);
      let writing = append(200, 'during-first');
      await first.commits(randomInt(1, 6));
      await first.kill();
      await second.commits(randomInt(1, 6));
      await writing;
      writing = append(200, 'during-second');
      await second.commits(randomInt(1, 6));
      await second.kill();
      await writing;
    } finally {
      await first.kill();
      await second?.kill();
    }
    const epoch = await env.logs.agentState.epoch();
    const head = seqs[seqs.length - 1]!;
    await using host = createProjectionHost({ nats: env.nats, pg: env.pg, topology: env.topology },
      [agentStateProjection({ kv: await env.bucket('agentState') }), countingProjection()], { lockPollMs: 100 });
    await host.start();
    await waitFor(async () => (await readCheckpoint(env.pg.db, 'agent-state'))?.seq === head && (await readCheckpoint(env.pg.db, 'counter'))?.seq === head, { what: 'both projections at the head' });

    const [counter] = await queryRows<{ n: number }>(env.pg, `SELECT n::int AS n FROM public.projection_counter WHERE name = 'counter'`);
    expect(counter?.n).toBe(events.length);

    const live = await stateSnapshot(env.pg);
    const expected = expectedState(events, seqs, epoch);
    expect(live.map((r) => [`${String(r.agent_id)}/${String(r.state_key)}`, r.version, r.tombstone, r.state_value]))
      .toEqual([...expected.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, v.seq, v.tombstone, v.value]));

    const report = await host.rebuild('agent-state');
    expect(report).toMatchObject({ contiguous: true, checkpoint: head, events: events.length });
    expect(await stateSnapshot(env.pg)).toEqual(live);
  });
});
