import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { runBridgeService } from './main.js';
import { sql, testLogger, waitForDrained, waitForEvents } from './bridgeTestKit.test.js';

describe('runBridgeService', () => {
  it('runs from the environment, serves metrics and health, and stops cleanly on SIGTERM', async () => {
    await using env = await startTestEnv();
    const signalsBefore = process.listeners('SIGTERM');
    const service = await runBridgeService({ env: { ...env.childEnv(), METRICS_PORT: '0' }, logger: testLogger(), bridge: { pollIntervalMs: 200 } });
    try {
      expect(service.bridge.status().active).toBe(true);
      expect(process.listenerCount('SIGTERM')).toBe(1); // only the service's: exit hooks would cut the shutdown short
      await sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version) VALUES ('svc', 'k', '1', 0, 1)`);
      const [ev] = await waitForEvents(env.logs.agentState, 'agents.>', 1);
      expect(ev).toMatchObject({ type: 'StateEditedInSql', agentId: 'svc' });
      await waitForDrained(env);

      const metrics = await (await fetch(`${service.metricsUrl}/metrics`)).text();
      expect(metrics).toMatch(/mister_smith_bridge_published_total\{stream="[A-Z0-9_]+_AGENT_STATE"\} 1/);
      expect(metrics).toContain('mister_smith_bridge_outbox_depth');
      const health = await fetch(`${service.metricsUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, state: 'active' });
    } finally {
      process.emit('SIGTERM');
      await service.done;
    }
    expect(service.bridge.status().state).toBe('stopped');
    expect(process.listeners('SIGTERM')).toEqual(signalsBefore);
    await expect(fetch(`${service.metricsUrl}/healthz`)).rejects.toThrow();
  });

  it('stops when its abort signal fires', async () => {
    await using env = await startTestEnv();
    const ac = new AbortController();
    const service = await runBridgeService({ env: env.childEnv(), logger: testLogger(), handleSignals: false, signal: ac.signal });
    expect(service.metricsUrl).toBeUndefined();
    expect(service.bridge.status().active).toBe(true);
    ac.abort();
    await service.done;
    expect(service.bridge.status().state).toBe('stopped');
  });
});
