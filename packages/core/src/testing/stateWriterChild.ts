/**
 * A child process for crash tests: writes counters for many agents through the state store and
 * prints one JSON line per acknowledged write (`{"agentId","key","value","seq"}`) until killed.
 * Reads NATS_URL, DATABASE_URL, MISTER_SMITH_NAMESPACE, WRITER_AGENTS (default 20).
 */
import { buildTopology } from '../config/topology.js';
import { connectNats } from '../nats/connectNats.js';
import { createDatabase } from '../pg/createDatabase.js';
import { createStateStore } from '../state/createStateStore.js';

const nats = await connectNats({ servers: [process.env.NATS_URL ?? 'nats://127.0.0.1:4222'] });
const pg = await createDatabase(process.env.DATABASE_URL ?? '');
const topology = buildTopology({ namespace: process.env.MISTER_SMITH_NAMESPACE, profile: 'test' });
// Large threshold and interval: most acknowledged writes are still unflushed when we are killed.
const store = await createStateStore({ nats, pg, topology }, { flushThreshold: 40, flushIntervalMs: 60_000 });
const agents = Number(process.env.WRITER_AGENTS ?? 20);
process.stdout.write('ready\n');
for (let i = 1; ; i++) {
  await Promise.all(Array.from({ length: agents }, async (_, a) => {
    const agentId = `crash-${a}`;
    const r = await store.write(agentId, 'n', i);
    process.stdout.write(`${JSON.stringify({ agentId, key: 'n', value: i, seq: r.version.seq })}\n`);
  }));
}
