/**
 * A child process for crash tests: writes counters for many agents through the state store and
 * prints one JSON line per acknowledged write (`{"agentId","key","value","seq"}`) until killed.
 * It flushes once, after round WRITER_FLUSH_ROUND (default 5), and prints `flushed <round>`; nothing
 * later is flushed (no threshold, no interval within the test), so every write after that round is
 * acknowledged but behind in PostgreSQL when the process is killed.
 * Reads NATS_URL, DATABASE_URL, MISTER_SMITH_NAMESPACE, WRITER_AGENTS (default 20), WRITER_FLUSH_ROUND.
 */
import { buildTopology } from '../config/topology.js';
import { connectNats } from '../nats/connectNats.js';
import { createDatabase } from '../pg/createDatabase.js';
import { createStateStore } from '../state/createStateStore.js';

const nats = await connectNats({ servers: [process.env.NATS_URL ?? 'nats://127.0.0.1:4222'] });
const pg = await createDatabase(process.env.DATABASE_URL ?? '');
const topology = buildTopology({ namespace: process.env.MISTER_SMITH_NAMESPACE, profile: 'test' });
// Only the explicit flush below writes PostgreSQL.
const store = await createStateStore({ nats, pg, topology }, { flushThreshold: 1_000_000, flushIntervalMs: 600_000 });
const agents = Number(process.env.WRITER_AGENTS ?? 20);
const flushRound = Number(process.env.WRITER_FLUSH_ROUND ?? 5);
process.stdout.write('ready\n');
for (let i = 1; ; i++) {
  await Promise.all(Array.from({ length: agents }, async (_, a) => {
    const agentId = `crash-${a}`;
    const r = await store.write(agentId, 'n', i);
    process.stdout.write(`${JSON.stringify({ agentId, key: 'n', value: i, seq: r.version.seq })}\n`);
  }));
  if (i === flushRound) {
    await store.flush();
    process.stdout.write(`flushed ${i}\n`);
  }
}
