import { describe, expect, it } from 'vitest';
import { startTestEnv } from '@mister-smith/core/testing';
import { createProjectionHost } from '@mister-smith/projections';
import { countingProjection, createCounterTable, readersGoSilent, stateWorkload, waitFor } from '@mister-smith/projections/testing';
import { Registry } from 'prom-client';
import { createProjectorMetrics } from './projectorMetrics.js';

const valueOf = async (registry: Registry, metric: string): Promise<number> => {
  const m = await registry.getSingleMetric(metric)?.get();
  return m?.values.find((v) => v.labels.projection === 'counter')?.value ?? 0;
};

describe('projector metrics', () => {
  it('show a stalled projection while it is stalled (stalled seconds), count its stalls, and drop back to 0 once it recovers', async () => {
    await using env = await startTestEnv();
    await createCounterTable(env.pg);
    const acks = await env.logs.agentState.appendBatch(stateWorkload(40, { agents: 2, keys: 2 }));
    const registry = new Registry();
    const metrics = createProjectorMetrics(registry);
    const reader = readersGoSilent(2);
    await using host = createProjectionHost({ nats: env.nats, pg: env.pg, topology: env.topology, hooks: metrics.hooks, openReader: reader.open }, [countingProjection()], { stallAfterMs: 1500, maxBatch: 10 });
    metrics.bind(host, (e) => { throw e; });
    await host.start();
    let stalledSeconds = 0;
    await waitFor(async () => {
      stalledSeconds = Math.max(stalledSeconds, await valueOf(registry, 'mister_smith_projection_stalled_seconds'));
      return (await host.statusOf('counter')).checkpoint.seq === acks.at(-1)!.seq;
    }, { what: 'recovered to the head', timeoutMs: 30_000, intervalMs: 100 });
    expect(stalledSeconds).toBeGreaterThanOrEqual(1.5);
    expect(await valueOf(registry, 'mister_smith_projection_stalls_total')).toBeGreaterThanOrEqual(2);
    expect(await valueOf(registry, 'mister_smith_projection_stalled_seconds')).toBe(0);
  });
});
