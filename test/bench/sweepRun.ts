import { connectNats } from '@mister-smith/core';
import { testServers } from '@mister-smith/core/testing';
import pg from 'pg';

/** What `sweepRun` removed. */
export interface SweepReport {
  readonly streams: readonly string[];
  readonly databases: readonly string[];
}

/**
 * Removes every stream, KV bucket and database whose name carries this run's id (what a section
 * interrupted before its `env.close()` leaves behind). Touches nothing of other runs.
 */
export async function sweepRun(runId: string): Promise<SweepReport> {
  const { natsUrl, adminDatabaseUrl } = testServers();
  const streams: string[] = [];
  const nats = await connectNats({ servers: [natsUrl], name: `bench-sweep-${runId}` });
  try {
    const prefix = `${runId.toUpperCase()}_`;
    for await (const name of nats.jsm.streams.names()) {
      if (name.startsWith(prefix) || name.startsWith(`KV_${prefix}`)) streams.push(name);
    }
    for (const name of streams) await nats.jsm.streams.delete(name);
  } finally {
    await nats.close();
  }
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`ms\\_${runId}\\_%`]);
    for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
    return { streams, databases: rows.map((r) => r.datname) };
  } finally {
    await admin.end();
  }
}
