/**
 * Projections across a stream-leader kill on a private 3-node cluster: every projection reading
 * AGENT_STATE (the filtered agent-state one and the whole-stream archive) must go on to the head by
 * itself after the leader is killed with SIGKILL and comes back.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTopology, connectNats, createStateStore, provision, type NatsHandle, type StateStore, type Topology } from '@mister-smith/core';
import { testServers } from '@mister-smith/core/testing';
import { builtinProjections, createProjectionHost, type ProjectionHost } from '@mister-smith/projections';
import { createTestDatabase, type TestDatabase } from './harness/createTestDatabase.js';
import { startNatsCluster, type NatsCluster } from './harness/startNatsCluster.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NAMES = ['agent-state', 'archive.agent-state'];

describe('projections across a stream-leader kill (3-node cluster)', () => {
  let cluster: NatsCluster;
  let db: TestDatabase;
  let admin: NatsHandle;
  let projNats: NatsHandle;
  let writerNats: NatsHandle;
  let topology: Topology;
  let host: ProjectionHost | undefined;
  let store: StateStore | undefined;

  beforeAll(async () => {
    const namespace = `${testServers().runId}_pfo${randomBytes(2).toString('hex')}`;
    cluster = await startNatsCluster({ size: 3 });
    db = await createTestDatabase('pfo');
    admin = await connectNats({ servers: [...cluster.urls], name: 'pfo-admin' });
    topology = buildTopology({ namespace, profile: 'test', clusterSize: 3 });
    await provision(admin, topology);
    projNats = await connectNats({ servers: [...cluster.urls], name: 'pfo-projector' });
    writerNats = await connectNats({ servers: [...cluster.urls], name: 'pfo-writer' });
  }, 60_000);

  afterAll(async () => {
    await store?.close().catch(() => undefined);
    await host?.stop().catch(() => undefined);
    await writerNats?.close().catch(() => undefined);
    await projNats?.close().catch(() => undefined);
    await admin?.close().catch(() => undefined);
    await cluster?.stop();
    await db?.drop();
  }, 60_000);

  it('every AGENT_STATE projection reaches the head by itself after the stream leader is killed and returns', async () => {
    const projections = await builtinProjections({ nats: projNats, topology }, { only: NAMES, kv: false });
    host = createProjectionHost({ nats: projNats, pg: db.pg, topology }, projections, { lockPollMs: 250 });
    await host.start();
    store = await createStateStore({ nats: writerNats, pg: db.pg, topology }, { writerId: 'pfo', watch: false });
    let stop = false;
    let n = 0;
    const load = (async () => {
      while (!stop) {
        n++;
        await store!.write(`a${n % 8}`, 'n', n).catch(() => undefined);
        await sleep(20);
      }
    })();
    try {
      while (n < 100) await sleep(50);
      const stream = topology.streams.agentState.name;
      const leader = (await admin.jsm.streams.info(stream)).cluster?.leader ?? '';
      const victim = cluster.indexOf(leader);
      expect(victim).toBeGreaterThanOrEqual(0);
      await cluster.kill(victim);
      await sleep(6000);
      await cluster.restart(victim);
      await cluster.waitForStreamsCurrent([stream], 30_000);
      const atRestart = n;
      while (n < atRestart + 100) await sleep(50);
    } finally {
      stop = true;
      await load;
    }
    const head = (await admin.jsm.streams.info(topology.streams.agentState.name)).state.last_seq;
    const deadline = Date.now() + 45_000;
    let statuses = await Promise.all(NAMES.map((x) => host!.statusOf(x)));
    while (Date.now() < deadline && !statuses.every((s) => s.checkpoint.seq >= head)) {
      await sleep(500);
      statuses = await Promise.all(NAMES.map((x) => host!.statusOf(x)));
    }
    console.log(`head ${head}: ${statuses.map((s) => `${s.name} ${s.state} at ${s.checkpoint.seq} (reader reopened ${s.readerRestarts} times)${s.reason ? ` (${s.reason})` : ''}`).join(', ')}`);
    expect(statuses.map((s) => [s.name, s.checkpoint.seq >= head])).toEqual(NAMES.map((x) => [x, true]));
  }, 150_000);
});
