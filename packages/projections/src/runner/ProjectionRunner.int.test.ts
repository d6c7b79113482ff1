import { describe, expect, it } from 'vitest';
import { seedAgentState, startTestEnv } from '@mister-smith/core/testing';
import { agentKvKey, createEvent, decodeKvStateEntry, JetStreamEventLog, ownershipAcquired, provision } from '@mister-smith/core';
import { agentStateProjection } from '../projections/agentStateProjection.js';
import { ProjectionRunner } from './ProjectionRunner.js';
import { readCheckpoint } from '../pg/checkpoints.js';
import { waitFor } from '../testing/waitFor.js';
import { queryRows, stateSnapshot } from '../testing/queryRows.js';
import { countingProjection, createCounterTable } from '../testing/countingProjection.js';
import { stateWorkload } from '../testing/stateWorkload.js';

describe('ProjectionRunner', () => {
  it('projects agent state into PostgreSQL and KV and records its checkpoint', async () => {
    await using env = await startTestEnv();
    const kv = await env.bucket('agentState');
    const { expected, epoch, head: last } = await seedAgentState(env, { agents: 5, keys: 4, writes: 300, deleteEvery: 7 });
    await using runner = new ProjectionRunner(agentStateProjection({ kv }), { nats: env.nats, pg: env.pg, topology: env.topology });
    await runner.start();
    await waitFor(async () => (await readCheckpoint(env.pg.db, 'agent-state'))?.seq === last, { what: 'checkpoint at head' });
    const rows = await stateSnapshot(env.pg);
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

describe('ProjectionRunner poison events', () => {
  it('dead-letters malformed, invalid and unhandled events with their reason and goes on', async () => {
    await using env = await startTestEnv();
    const log = env.logs.agentState;
    const before = await log.appendBatch(stateWorkload(20, { agents: 2, keys: 2 }));
    const raw = await env.nats.js.publish(log.subjectOf('agents.state.a-bad'), new TextEncoder().encode('{not json'));
    const invalid = await log.append(createEvent({ type: 'StateChanged', subject: 'agents.state.a-1', agentId: 'a-1', data: { key: 'k', op: 'frobnicate', strategy: 'lww', writer: 't' } }));
    const unknown = await log.append(createEvent({ type: 'WeirdThing', subject: 'agents.state.a-1', agentId: 'a-1', data: {} }));
    const owner = await log.append(ownershipAcquired('a-1', { supervisorId: 's1', leaseRevision: 3 }));
    const edit = await log.append(createEvent({ type: 'StateEditedInSql', subject: 'agents.state.a-1', data: {
      operation: 'UPDATE', agent_id: 'a-1', state_key: 'edited', old_value: null, new_value: { by: 'operator' }, version: 1, timestamp: 1,
    } }));
    const after = await log.appendBatch(stateWorkload(10, { agents: 2, keys: 2, salt: 'after' }));
    const head = after[after.length - 1]!.seq;
    await using runner = new ProjectionRunner(agentStateProjection({ kv: await env.bucket('agentState') }), { nats: env.nats, pg: env.pg, topology: env.topology }, { maxBatch: 100, maxAttempts: 2 });
    await runner.start();
    await waitFor(async () => (await readCheckpoint(env.pg.db, 'agent-state'))?.seq === head, { what: 'checkpoint past the poison' });

    const letters = await queryRows<{ seq: number; reason: string; attempts: number; source: string }>(env.pg, `SELECT seq::int AS seq, reason, attempts, source FROM mister_smith.dead_letters ORDER BY seq`);
    expect(letters.map((l) => l.seq)).toEqual([raw.seq, invalid.seq, unknown.seq]);
    expect(letters.every((l) => l.source === 'projection:agent-state')).toBe(true);
    expect(letters[0]!.reason).toMatch(/MALFORMED_EVENT/);
    expect(letters[1]!.reason).toMatch(/MALFORMED_EVENT.*op must be put or delete/);
    expect(letters[1]!.attempts).toBe(2);
    expect(letters[2]!.reason).toMatch(/does not handle event type WeirdThing/);
    const [row] = await queryRows<{ state_value: unknown; meta: unknown; version: number; strategy: string }>(env.pg,
      `SELECT state_value, meta, version::int AS version, strategy FROM agents.state WHERE agent_id = 'a-1' AND state_key = 'edited'`);
    expect(row).toEqual({ state_value: { by: 'operator' }, meta: null, version: edit.seq, strategy: 'lww' });
    expect(owner.seq).toBeLessThan(head);
    const rows = await stateSnapshot(env.pg);
    expect(rows.length).toBeGreaterThan(3);
    expect(before.length + after.length).toBe(30);
    expect((await runner.status()).deadLettered).toBe(3);
  });
});

describe('ProjectionRunner instances', () => {
  it('runs one instance at a time; the standby takes over when the holder stops, without losing or repeating a batch', async () => {
    await using env = await startTestEnv();
    await createCounterTable(env.pg);
    const deps = { nats: env.nats, pg: env.pg, topology: env.topology };
    const opts = { maxBatch: 20, lockPollMs: 100 };
    await using a = new ProjectionRunner(countingProjection({ delayMs: 10 }), deps, opts);
    await using b = new ProjectionRunner(countingProjection({ delayMs: 10 }), deps, opts);
    await a.start();
    await waitFor(() => a.active, { what: 'a active' });
    await b.start();
    const acks = await env.logs.agentState.appendBatch(stateWorkload(300, { agents: 10, keys: 5 }));
    const head = acks[acks.length - 1]!.seq;
    await waitFor(async () => ((await readCheckpoint(env.pg.db, 'counter'))?.seq ?? 0) > head / 3, { what: 'progress' });
    expect([a.active, b.active]).toEqual([true, false]);
    expect((await b.status()).state).toBe('standby');
    await a.stop();
    await waitFor(() => b.active, { what: 'takeover' });
    await waitFor(async () => (await readCheckpoint(env.pg.db, 'counter'))?.seq === head, { what: 'caught up' });
    const [counter] = await queryRows<{ n: number }>(env.pg, `SELECT n::int AS n FROM public.projection_counter WHERE name = 'counter'`);
    expect(counter?.n).toBe(acks.length);
    expect(await b.status()).toMatchObject({ state: 'running', active: true, lag: 0 });
  });
});

describe('ProjectionRunner election', () => {
  it('notices that its lock session died while the stream is quiet, steps down, and the standby takes over', async () => {
    await using env = await startTestEnv();
    await createCounterTable(env.pg);
    const deps = { nats: env.nats, pg: env.pg, topology: env.topology };
    const opts = { maxBatch: 20, lockPollMs: 100, failureBackoffMs: [50, 200] as const };
    await using a = new ProjectionRunner(countingProjection(), deps, opts);
    await a.start();
    await waitFor(() => a.active, { what: 'a active' });
    await using b = new ProjectionRunner(countingProjection(), deps, opts);
    await b.start();
    const first = await env.logs.agentState.appendBatch(stateWorkload(40, { agents: 4, keys: 2 }));
    await waitFor(async () => (await readCheckpoint(env.pg.db, 'counter'))?.seq === first[first.length - 1]!.seq, { what: 'a caught up' });
    let both = 0;
    const sampler = setInterval(() => { if (a.active && b.active) both++; }, 5);
    try {
      // Nothing to project: only the lock session tells a that it is gone.
      await queryRows(env.pg, `SELECT pg_terminate_backend(${a.backendPid!})`);
      await waitFor(() => b.active, { what: 'b takes over', timeoutMs: 15_000 });
      const more = await env.logs.agentState.appendBatch(stateWorkload(40, { agents: 4, keys: 2, salt: 'more' }));
      await waitFor(async () => (await readCheckpoint(env.pg.db, 'counter'))?.seq === more[more.length - 1]!.seq, { what: 'b caught up' });
    } finally {
      clearInterval(sampler);
    }
    expect(a.active).toBe(false);
    expect(both).toBe(0);
    const [counter] = await queryRows<{ n: number }>(env.pg, `SELECT n::int AS n FROM public.projection_counter WHERE name = 'counter'`);
    expect(counter?.n).toBe(80);
  });
});

describe('ProjectionRunner and a recreated stream', () => {
  it('restarts from the new stream\'s first sequence, and the new incarnation\'s versions win', async () => {
    await using env = await startTestEnv();
    await using runner = new ProjectionRunner(agentStateProjection({ kv: await env.bucket('agentState') }), { nats: env.nats, pg: env.pg, topology: env.topology }, { lockPollMs: 100 });
    await runner.start();
    const old = await env.logs.agentState.appendBatch(stateWorkload(40, { agents: 2, keys: 2, deleteEvery: 0, salt: 'old' }));
    const oldEpoch = old[0]!.epoch;
    await waitFor(async () => (await readCheckpoint(env.pg.db, 'agent-state'))?.seq === old[old.length - 1]!.seq, { what: 'old stream projected' });
    await env.nats.jsm.streams.delete(env.topology.streams.agentState.name);
    await new Promise((r) => setTimeout(r, 5)); // a new stream gets a later creation time
    await provision(env.nats, env.topology);
    const log = new JetStreamEventLog(env.nats, env.topology.streams.agentState, { namespace: env.namespace });
    const fresh = await log.appendBatch(stateWorkload(3, { agents: 2, keys: 2, deleteEvery: 0, salt: 'new' }));
    const newEpoch = fresh[0]!.epoch;
    expect(newEpoch).toBeGreaterThan(oldEpoch);
    expect(fresh[0]!.seq).toBe(1);
    await waitFor(async () => {
      const cp = await readCheckpoint(env.pg.db, 'agent-state');
      return cp?.epoch === newEpoch && cp.seq === 3;
    }, { what: 'checkpoint in the new stream' });
    const rows = await queryRows<{ agent_id: string; state_key: string; version_epoch: number; version: number; state_value: { salt: string } }>(env.pg,
      `SELECT agent_id, state_key, version_epoch::bigint AS version_epoch, version::int AS version, state_value FROM agents.state WHERE version_epoch = $1 ORDER BY version`, [newEpoch]);
    expect(rows.map((r) => [r.version, r.state_value.salt])).toEqual([[1, 'new'], [2, 'new'], [3, 'new']]);
  });
});
