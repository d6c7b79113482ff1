// A projection runner as a separate process, for crash tests: the parent SIGKILLs it at random
// points. Configured by the environment of `TestEnv.childEnv()` plus MS_WORKER_PROJECTIONS
// (comma-separated: agent-state, counter) and MS_WORKER_BATCH. Prints one JSON line per commit.
import { buildTopology, connectNats, createDatabase, JetStreamKvStore, loadConfig } from '@mister-smith/core';
import { agentStateProjection } from '../projections/agentStateProjection.js';
import { ProjectionRunner } from '../runner/ProjectionRunner.js';
import type { Projection } from '../types/Projection.js';
import { countingProjection } from './countingProjection.js';

const config = loadConfig();
const nats = await connectNats({ ...config.nats });
const pg = await createDatabase(config.databaseUrl ?? '', { max: 4, applicationName: 'projection-worker' });
const topology = buildTopology({ namespace: config.namespace, profile: config.profile, clusterSize: nats.clusterSize });
const names = (process.env.MS_WORKER_PROJECTIONS ?? 'agent-state').split(',');
const delayMs = Number(process.env.MS_WORKER_DELAY_MS ?? '0');
const projections: Projection[] = [];
for (const n of names) {
  if (n === 'agent-state') {
    const kv = await JetStreamKvStore.open(nats, topology.buckets.agentState.bucket);
    projections.push(agentStateProjection({ kv }));
  } else if (n === 'counter') {
    projections.push(countingProjection({ delayMs }));
  } else {
    throw new Error(`unknown projection ${n}`);
  }
}
const runners = projections.map((p) => new ProjectionRunner(p, { nats, pg, topology, hooks: {
  onCommit: (name, info) => process.stdout.write(`${JSON.stringify({ commit: name, seq: info.seq, events: info.events })}\n`),
} }, { maxBatch: Number(process.env.MS_WORKER_BATCH ?? '50'), lockPollMs: 100 }));
for (const r of runners) await r.start();
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
const shutdown = async () => {
  for (const r of runners) await r.stop();
  await pg.close();
  await nats.close();
};
process.once('SIGTERM', () => { void shutdown(); });
