import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { TestProject } from 'vitest/node';

/**
 * Runs once per `vitest run`: checks the shared NATS and PostgreSQL answer, gives the run an id
 * that prefixes every namespace and database the specs create, and on teardown removes anything
 * of this run that a crashed spec left behind.
 */
export default async function setup(project: TestProject) {
  const natsUrl = process.env.MS_TEST_NATS_URL ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const adminDatabaseUrl = process.env.MS_TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const runId = process.env.MS_TEST_RUN ?? `t${randomBytes(3).toString('hex')}`;
  process.env.MS_TEST_NATS_URL = natsUrl;
  process.env.MS_TEST_ADMIN_DATABASE_URL = adminDatabaseUrl;
  process.env.MS_TEST_RUN = runId;
  project.provide('natsUrl', natsUrl);
  project.provide('runId', runId);
  const nc = await connect({ servers: natsUrl, timeout: 5000 }).catch((e: unknown) => {
    throw new Error(`tests need NATS with JetStream at ${natsUrl} (set MS_TEST_NATS_URL): ${(e as Error).message}`);
  });
  await nc.close();
  const c = new pg.Client({ connectionString: adminDatabaseUrl });
  await c.connect().catch((e: unknown) => {
    throw new Error(`tests need PostgreSQL at ${adminDatabaseUrl} (set MS_TEST_ADMIN_DATABASE_URL): ${(e as Error).message}`);
  });
  await c.end();

  return async () => {
    const nc2 = await connect({ servers: natsUrl });
    const jsm = await jetstreamManager(nc2);
    const prefix = runId.toUpperCase() + '_';
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(prefix) || name.startsWith(`KV_${prefix}`)) await jsm.streams.delete(name);
    }
    await nc2.close();
    const a = new pg.Client({ connectionString: adminDatabaseUrl });
    await a.connect();
    const { rows } = await a.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`ms_${runId}_%`]);
    for (const r of rows) await a.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
    await a.end();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    natsUrl: string;
    runId: string;
  }
}
