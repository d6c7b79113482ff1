import { describe, expect, it } from 'vitest';
import { startTestEnv } from '@mister-smith/core/testing';
import { openStreamReader } from '../read/openStreamReader.js';
import { readCheckpoint } from '../pg/checkpoints.js';
import { countingProjection, createCounterTable } from '../testing/countingProjection.js';
import { queryRows } from '../testing/queryRows.js';
import { readersGoSilent } from '../testing/readersGoSilent.js';
import { stateWorkload } from '../testing/stateWorkload.js';
import { waitFor } from '../testing/waitFor.js';
import type { ProjectionStatus } from '../types/ProjectionStatus.js';
import { ProjectionRunner } from './ProjectionRunner.js';

describe('ProjectionRunner: a stalled reader', () => {
  it('is seen as stalled (status, hook) while events wait, and the projection recovers by itself to the head', async () => {
    await using env = await startTestEnv();
    await createCounterTable(env.pg);
    const acks = await env.logs.agentState.appendBatch(stateWorkload(50, { agents: 2, keys: 2 }));
    const head = acks.at(-1)!.seq;
    // Two silent readers: the stall outlasts the first reopen, so it is visible for a while.
    const reader = readersGoSilent(2);
    const stalls: { checkpoint: number; head: number }[] = [];
    await using runner = new ProjectionRunner(countingProjection(), {
      nats: env.nats, pg: env.pg, topology: env.topology, openReader: reader.open,
      hooks: { onStall: (_p, info) => { stalls.push(info); } },
    }, { stallAfterMs: 1500, maxBatch: 10 });
    await runner.start();
    let seenStalled: ProjectionStatus | undefined;
    await waitFor(async () => {
      const s = await runner.status();
      if (s.stalledMs > 0) seenStalled ??= s;
      return s.checkpoint.seq === head;
    }, { what: 'the projection reached the head', timeoutMs: 30_000, intervalMs: 100 });

    expect(seenStalled, 'status showed the stall while events waited').toBeDefined();
    expect(seenStalled!.reason).toMatch(/^stalled: checkpoint \d+ has not moved/);
    expect(seenStalled!.lag).toBeGreaterThan(0);
    expect(stalls.length).toBeGreaterThanOrEqual(2);
    expect(stalls[0]!.head).toBe(head);
    expect(stalls[0]!.checkpoint).toBeLessThan(head);
    expect(reader.opened()).toBeGreaterThanOrEqual(3);
    const s = await runner.status();
    expect(s).toMatchObject({ state: 'running', lag: 0, stalledMs: 0 });
    expect(s.readerRestarts).toBeGreaterThanOrEqual(2);
    // Every event counted once: the reopened reader started at the checkpoint.
    const [row] = await queryRows<{ n: number }>(env.pg, `SELECT n::int AS n FROM public.projection_counter WHERE name = 'counter'`);
    expect(row!.n).toBe(acks.length);
  });

  it('is not reopened while the projection is caught up and the stream is quiet', async () => {
    await using env = await startTestEnv();
    await createCounterTable(env.pg);
    const acks = await env.logs.agentState.appendBatch(stateWorkload(5, { agents: 1, keys: 1 }));
    let opened = 0;
    await using runner = new ProjectionRunner(countingProjection(), {
      nats: env.nats, pg: env.pg, topology: env.topology, openReader: (n, o) => { opened++; return openStreamReader(n, o); },
    }, { stallAfterMs: 300 });
    await runner.start();
    await waitFor(async () => (await readCheckpoint(env.pg.db, 'counter'))?.seq === acks.at(-1)!.seq, { what: 'caught up' });
    // Several stall thresholds of quiet: nothing waits, so nothing is stalled.
    await new Promise((r) => setTimeout(r, 1500));
    expect(opened).toBe(1);
    expect(await runner.status()).toMatchObject({ lag: 0, stalledMs: 0, readerRestarts: 0 });
  });

  it('is not reopened when the newest events were removed from the stream (nothing is left to deliver)', async () => {
    await using env = await startTestEnv();
    await createCounterTable(env.pg);
    const acks = await env.logs.agentState.appendBatch(stateWorkload(6, { agents: 1, keys: 1 }));
    let opened = 0;
    // Two subject families: the runner reads the whole stream (its head is then the stream's, not a filter's).
    await using runner = new ProjectionRunner(countingProjection({ subjects: ['agents.state.>', 'agents.lifecycle.>'] }), {
      nats: env.nats, pg: env.pg, topology: env.topology, openReader: (n, o) => { opened++; return openStreamReader(n, o); },
    }, { stallAfterMs: 300 });
    await runner.start();
    await waitFor(async () => (await readCheckpoint(env.pg.db, 'counter'))?.seq === acks.at(-1)!.seq, { what: 'caught up' });
    // An appended event removed before the runner could read it (an erasure purges subjects): the
    // stream's last sequence is past the checkpoint, yet there is nothing to deliver.
    await runner.pause();
    const purged = await env.logs.agentState.append(stateWorkload(1, { agents: 1, keys: 1, salt: 'gone' })[0]!);
    await env.nats.jsm.streams.deleteMessage(env.topology.streams.agentState.name, purged.seq);
    runner.resume();
    await new Promise((r) => setTimeout(r, 2000));
    expect(opened).toBe(2);
    expect(await runner.status()).toMatchObject({ stalledMs: 0, readerRestarts: 0 });
  });
});
