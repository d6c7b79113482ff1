import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/loadConfig.js';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { createEvent } from '../events/createEvent.js';
import { JetStreamKvStore } from '../kv/JetStreamKvStore.js';
import { connectNats } from '../nats/connectNats.js';
import { createDatabase } from '../pg/createDatabase.js';
import { migrations } from '../pg/migrateToLatest.js';
import { startLocalNats } from './startLocalNats.js';
import { startLocalPostgres } from './startLocalPostgres.js';
import { startLocalStack } from './startLocalStack.js';

// These tests start their own private servers in temporary folders (never the machine's shared
// ones), so they need no test namespace or database.

/** A temporary folder the embedded PostgreSQL's own user can enter (as root it runs as "postgres"). */
async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await mkdtemp(join(tmpdir(), 'ms-embedded-'));
  await chmod(path, 0o755);
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** The postmaster's pid, from the first line of postmaster.pid. */
async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  throw new Error('expected the promise to reject');
}

describe('embedded servers', () => {
  it('startLocalNats runs nats-server with JetStream on a free port and stop() ends the process', async () => {
    await using dir = await tempDir();
    const dataDir = join(dir.path, 'nats');
    const nats = await startLocalNats({ dataDir, ephemeral: true });
    try {
      expect(nats.port).toBeGreaterThan(0);
      expect(nats.port).not.toBe(4222);
      expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
      expect(alive(nats.pid)).toBe(true);
      const handle = await connectNats({ servers: [nats.url] });
      try {
        await handle.jsm.streams.add({ name: 'PROBE', subjects: ['probe.>'] });
        const ack = await handle.js.publish('probe.one', 'hello');
        expect(ack).toMatchObject({ stream: 'PROBE', seq: 1 });
        expect((await handle.jsm.streams.info('PROBE')).state.messages).toBe(1);
      } finally {
        await handle.close();
      }
    } finally {
      await nats.stop();
    }
    expect(alive(nats.pid)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    // stop() twice is harmless.
    await nats.stop();
  });

  it('startLocalNats keeps its data across a restart unless ephemeral', async () => {
    await using dir = await tempDir();
    const dataDir = join(dir.path, 'nats');
    const first = await startLocalNats({ dataDir });
    try {
      const h = await connectNats({ servers: [first.url] });
      await h.jsm.streams.add({ name: 'KEEP', subjects: ['keep.>'] });
      await h.js.publish('keep.x', 'v');
      await h.close();
    } finally {
      await first.stop();
    }
    const second = await startLocalNats({ dataDir, ephemeral: true });
    try {
      const h = await connectNats({ servers: [second.url] });
      expect((await h.jsm.streams.info('KEEP')).state.messages).toBe(1);
      await h.close();
    } finally {
      await second.stop();
    }
  });

  it('startLocalNats with a config file stores in its data folder, not the shared /tmp/jetstream, unless the file says where', async () => {
    await using dir = await tempDir();
    const own = join(dir.path, 'own-store');
    const cases = [
      { conf: 'jetstream { max_file_store: 1GB }\n', storedIn: join(dir.path, 'nats-a', 'jetstream') },
      { conf: `jetstream { store_dir: ${JSON.stringify(own)} }\n`, storedIn: join(own, 'jetstream') },
    ];
    for (const [i, c] of cases.entries()) {
      const confFile = join(dir.path, `server-${i}.conf`);
      await writeFile(confFile, c.conf);
      const server = await startLocalNats({ dataDir: join(dir.path, i === 0 ? 'nats-a' : 'nats-b'), args: ['-c', confFile] });
      try {
        const h = await connectNats({ servers: [server.url] });
        await h.jsm.streams.add({ name: `STORED${i}`, subjects: [`stored${i}.>`] });
        await h.close();
      } finally {
        await server.stop();
      }
      expect(existsSync(join(c.storedIn, '$G', 'streams', `STORED${i}`))).toBe(true);
    }
  });

  it('startLocalNats with a missing binary fails with MISSING_BINARY and an install hint', async () => {
    await using dir = await tempDir();
    const err = await errorOf(startLocalNats({ dataDir: join(dir.path, 'nats'), binary: 'nats-server-does-not-exist' }));
    expect(MisterSmithError.is(err, 'MISSING_BINARY')).toBe(true);
    expect((err as Error).message).toMatch(/install/i);
    expect((err as Error).message).toMatch(/NATS_URL/);
  });

  it('startLocalPostgres runs a real PostgreSQL reached through createDatabase, and stop() ends it', async () => {
    await using dir = await tempDir();
    const dataDir = join(dir.path, 'pg');
    const pg = await startLocalPostgres({ dataDir, ephemeral: true });
    let pid = 0;
    try {
      expect(pg.port).toBeGreaterThan(0);
      expect(pg.port).not.toBe(5432);
      pid = await postmasterPid(dataDir);
      expect(alive(pid)).toBe(true);
      const db = await createDatabase(pg.url, { max: 2 });
      try {
        const { rows } = await sql<{ one: number; db: string; v: string }>`SELECT 1 AS one, current_database() AS db, current_setting('server_version_num') AS v`.execute(db.db);
        expect(rows).toEqual([{ one: 1, db: 'mister_smith', v: expect.stringMatching(/^15\d{4}$/) as unknown as string }]);
        expect(db.url).not.toContain(':postgres@');
      } finally {
        await db.close();
      }
    } finally {
      await pg.stop();
    }
    expect(alive(pid)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    const err = await errorOf(createDatabase(pg.url, { max: 1 }));
    expect(MisterSmithError.is(err, 'POSTGRES_UNAVAILABLE')).toBe(true);
  });

  it('startLocalStack with NATS_URL and DATABASE_URL unset starts both, provisions, migrates, serves and stops', async () => {
    await using dir = await tempDir();
    const progress: string[] = [];
    const config = { ...loadConfig({}), dataDir: dir.path };
    expect(config.nats.servers).toBeUndefined();
    expect(config.databaseUrl).toBeUndefined();
    const stack = await startLocalStack({ config, onProgress: (m) => progress.push(m) });
    let natsPid = -1;
    let pgPid = -1;
    try {
      const nats = stack.embedded.nats!;
      const postgres = stack.embedded.postgres!;
      expect(nats).toBeDefined();
      expect(postgres).toBeDefined();
      natsPid = nats.pid;
      pgPid = await postmasterPid(postgres.dataDir);
      expect(alive(natsPid) && alive(pgPid)).toBe(true);
      expect(stack.config.nats.servers).toEqual([nats.url]);
      expect(stack.config.databaseUrl).toBe(postgres.url);
      expect(stack.provisioned.created).toHaveLength(3 + 5 + 1 + 4); // streams, KV buckets, the LARGE_VALUES object store, durable consumers (task-processor, batch, task-projection, task-dispatcher)
      expect(stack.migrated.applied).toEqual(Object.keys(migrations));
      expect(progress.some((m) => /nats-server ready/.test(m)) && progress.some((m) => /PostgreSQL migrated/.test(m))).toBe(true);

      const log = stack.logs.agentState;
      const acks = await log.appendBatch([1, 2, 3].map((n) => createEvent({ type: 'Hello', subject: 'agents.state.demo', agentId: 'demo', data: { n } })));
      expect(acks.map((a) => a.seq)).toEqual([1, 2, 3]);
      const read: unknown[] = [];
      for await (const item of log.read({ filter: 'agents.state.demo' })) if (item.kind === 'event') read.push(item.record.event.data);
      expect(read).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);

      const kv = await JetStreamKvStore.open(stack.nats, stack.topology.buckets.agentConfig.bucket);
      const rev = await kv.put('demo.greeting', 'hello');
      expect(await kv.get('demo.greeting')).toMatchObject({ revision: rev, value: new TextEncoder().encode('hello') });

      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM agents.state`.execute(stack.pg.db);
      expect(rows).toEqual([{ n: 0 }]);
    } finally {
      await stack.close();
    }
    expect(alive(natsPid)).toBe(false);
    expect(alive(pgPid)).toBe(false);
    // Not ephemeral: the data stays in the folder for the next start.
    expect(existsSync(join(dir.path, 'postgres', 'PG_VERSION'))).toBe(true);
  });
});
