import { describe, expect, it } from 'vitest';
import { startTestEnv } from '@mister-smith/core/testing';
import { createDatabase, lifecycleChanged, stateChanged } from '@mister-smith/core';
import type { ProjectionStatus, RebuildReport } from '@mister-smith/projections';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createProjector } from './createProjector.js';
import type { ProjectorReply, ProjectorStatusResult } from './ProjectorProtocol.js';
import { runProjectorService } from './main.js';

const waitFor = async (check: () => Promise<boolean>, what: string, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('projector', () => {
  it('runs every projection and answers status, pause, resume and rebuild over NATS, with typed errors and metrics', async () => {
    await using env = await startTestEnv();
    await using pg = await createDatabase(env.databaseUrl, { max: 16 });
    const registry = new Registry();
    await using projector = await createProjector({ nats: env.nats, pg, topology: env.topology, logger: pino({ level: 'silent' }), registry, runner: { lockPollMs: 100 } });
    const ask = async <T>(verb: keyof typeof projector.subjects, body: object = {}): Promise<ProjectorReply<T>> => {
      const m = await env.nats.nc.request(projector.subjects[verb], JSON.stringify(body), { timeout: 20_000 });
      return JSON.parse(new TextDecoder().decode(m.data)) as ProjectorReply<T>;
    };
    const statusOf = async (name: string) => {
      const r = await ask<ProjectorStatusResult>('status');
      if (!r.ok) throw new Error(r.error.message);
      return r.result.projections.find((p) => p.name === name)!;
    };
    expect(projector.subjects.status).toBe(`${env.namespace}.mister-smith.projector.status`);
    await env.logs.agentState.appendBatch([
      lifecycleChanged('p1', { from: 'COLD', to: 'ACTIVE', reason: 'r', agentType: 'worker', supervisorId: 's1' }),
      ...Array.from({ length: 50 }, (_, i) => stateChanged('p1', { key: `k${i % 5}`, op: 'put', value: i, stored: null, strategy: 'lww', writer: 'w' })),
    ]);
    await waitFor(async () => (await statusOf('agent-state')).lag === 0 && (await statusOf('agent-registry')).lag === 0 && (await statusOf('archive.agent-state')).lag === 0, 'caught up');
    const all = await ask<ProjectorStatusResult>('status');
    expect(all.ok && all.result.projections.map((p) => p.name).sort()).toEqual(
      ['agent-registry', 'agent-state', 'archive.agent-messages', 'archive.agent-state', 'archive.task-execution', 'task-view']);
    expect(all.instance).toBe(projector.instanceId);

    const paused = await ask<ProjectionStatus>('pause', { name: 'agent-state' });
    expect(paused.ok && paused.result.state).toBe('paused');
    await env.logs.agentState.append(stateChanged('p1', { key: 'late', op: 'put', value: 'x', stored: null, strategy: 'lww', writer: 'w' }));
    await waitFor(async () => (await statusOf('agent-state')).lag > 0, 'lag while paused');
    const resumed = await ask<ProjectionStatus>('resume', { name: 'agent-state' });
    expect(resumed.ok).toBe(true);
    await waitFor(async () => (await statusOf('agent-state')).lag === 0, 'caught up after resume');

    const rebuilt = await ask<RebuildReport>('rebuild', { name: 'agent-state' });
    expect(rebuilt.ok && rebuilt.result).toMatchObject({ projection: 'agent-state', mode: 'shadow', contiguous: true, events: 51 });
    const [count] = (await pg.withClient((c) => c.query<{ n: number }>(`SELECT count(*)::int AS n FROM agents.state`))).rows;
    expect(count?.n).toBe(6);

    const unknown = await ask('pause', { name: 'nope' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_PROJECTION' } });
    const missing = await ask('rebuild', {});
    expect(missing).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    const garbage = await env.nats.nc.request(projector.subjects.status, 'not json', { timeout: 5000 });
    expect(JSON.parse(new TextDecoder().decode(garbage.data))).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });

    const text = await registry.metrics();
    expect(text).toMatch(/mister_smith_projection_events_total\{projection="agent-state"\} 51/);
    expect(text).toMatch(/mister_smith_projection_lag\{projection="agent-state"\} 0/);
    expect(text).toMatch(/mister_smith_projection_dead_letters_total/);
  });

  it('runs as a service from the environment and stops on abort', async () => {
    await using env = await startTestEnv();
    const abort = new AbortController();
    const service = await runProjectorService({
      env: { ...env.childEnv(), METRICS_PORT: '0' }, handleSignals: false, signal: abort.signal, logger: pino({ level: 'silent' }),
      projector: { only: ['agent-state'], runner: { lockPollMs: 100 } },
    });
    try {
      await env.logs.agentState.append(stateChanged('svc', { key: 'k', op: 'put', value: 1, stored: null, strategy: 'lww', writer: 'w' }));
      await waitFor(async () => (await service.projector.status())[0]?.lag === 0, 'service caught up');
      const health = await fetch(`${service.metricsUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(await (await fetch(`${service.metricsUrl}/metrics`)).text()).toMatch(/mister_smith_projection_checkpoint\{projection="agent-state"\} 1/);
    } finally {
      abort.abort();
      await service.done;
    }
  });
});
