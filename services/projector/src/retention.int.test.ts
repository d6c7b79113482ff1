import { createDatabase, stateChanged, writeAgentSnapshot } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createProjector } from './createProjector.js';

describe('projector: archive retention job and retention headroom', () => {
  it('prunes the archive behind snapshots on demand and on its schedule, and exports the retention headroom', async () => {
    await using env = await startTestEnv();
    await using pg = await createDatabase(env.databaseUrl, { max: 16 });
    const registry = new Registry();
    await using projector = await createProjector({
      nats: env.nats, pg, topology: env.topology, logger: pino({ level: 'silent' }), registry, runner: { lockPollMs: 100 },
      retention: { policy: { keepLast: 0 }, intervalMs: 200 },
    });
    let last = 0;
    for (let i = 1; i <= 20; i++) last = (await env.logs.agentState.append(stateChanged('p1', { key: 'count', op: 'put', value: i, stored: null, strategy: 'lww', writer: 'w' }))).seq;
    await writeAgentSnapshot(env.pg.db, { agentId: 'p1', epoch: await env.logs.agentState.epoch(), seq: last, state: { count: 20 }, events: 20 });
    const archived = async () => (await env.pg.db.selectFrom('mister_smith.event_archive').select((eb) => eb.fn.countAll<number>().as('n')).where('event_type', 'in', ['StateChanged', '$pruned']).executeTakeFirstOrThrow()).n;
    for (let i = 0; i < 400 && Number(await archived()) < 20; i++) await new Promise((r) => setTimeout(r, 50));

    // The elected instance (it holds archive.agent-state) runs the policy on its own schedule.
    const prunedRows = () => env.pg.db.selectFrom('mister_smith.event_archive').select('seq').where('event_type', '=', '$pruned').orderBy('seq').execute();
    for (let i = 0; i < 400 && (await prunedRows()).length < 19; i++) await new Promise((r) => setTimeout(r, 50));
    const pruned = await prunedRows();
    expect(pruned.map((r) => Number(r.seq))).toEqual(Array.from({ length: 19 }, (_, i) => last - 19 + i));
    expect((await projector.retention!.runOnce())).toMatchObject({ eligible: 0, pruned: 0 });

    const headroom = await projector.headroom();
    expect(headroom['agent-state']).toMatchObject({ ratio: 1, warn: false });
    expect(headroom['agent-state']!.seconds).toBe(env.topology.streams.agentState.maxAgeSeconds);
    const text = await registry.metrics();
    expect(text).toMatch(/mister_smith_retention_headroom_seconds\{projection="agent-state"\} \d+/);
    expect(text).toMatch(/mister_smith_retention_headroom_ratio\{projection="archive\.agent-state"\} 1/);
  });
});
