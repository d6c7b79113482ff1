/**
 * The services against a nats-server that requires authentication, with subject permissions:
 * a full user (user/password), an nkey user, and a read-only user that may read and consume but
 * not publish to the system's subjects. Credentials must never appear in errors or logs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nkeys } from '@nats-io/nats-core';
import {
  buildTopology, connectNats, createLogger, createStateStore, deprovision, JetStreamEventLog, JetStreamKvStore, loadConfig, MisterSmithError,
  provision, redactUrl, type NatsConnectionConfig, type NatsHandle, type Topology,
} from '@mister-smith/core';
import { startLocalNats, type LocalNats } from '@mister-smith/core/embedded';
import { testServers } from '@mister-smith/core/testing';
import { createTestDatabase, type TestDatabase } from '../../e2e/harness/createTestDatabase.js';

/**
 * What a read-only client needs to publish: requests to the JetStream API subjects that read
 * (account and stream info, message get, direct get) or set up and drive its own consumers
 * (create, info, next, delete), and flow-control replies of ordered push consumers. Not allowed:
 * the system's subjects (`agents.>`, `tasks.>`, `messages.>`), `$KV.>` puts, and the API subjects
 * that change streams (STREAM.CREATE/UPDATE/DELETE/PURGE, STREAM.MSG.DELETE).
 */
const READ_ONLY_PUBLISH = [
  '_INBOX.>',
  '$JS.API.INFO',
  '$JS.API.STREAM.INFO.*',
  '$JS.API.STREAM.NAMES',
  '$JS.API.STREAM.MSG.GET.*',
  '$JS.API.DIRECT.GET.>',
  '$JS.API.CONSUMER.CREATE.>',
  '$JS.API.CONSUMER.INFO.>',
  '$JS.API.CONSUMER.MSG.NEXT.>',
  '$JS.API.CONSUMER.DELETE.>',
  '$JS.FC.>',
];

const secret = () => `pw-${randomBytes(12).toString('hex')}`;

/** Collects log lines written by a pino logger. */
function memoryLog(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({ write(chunk, _enc, cb) { chunks.push(String(chunk)); cb(); } }),
    text: () => chunks.join(''),
  };
}

/** Everything an error could show a user or a log: message, JSON form, cause chain, details. */
function exposed(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur; depth++) {
    parts.push(String((cur as Error).message), JSON.stringify(cur) ?? '', String(cur), (cur as Error).stack ?? '');
    cur = (cur as Error).cause;
  }
  return parts.join('\n');
}

async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
}

describe('NATS with authentication and subject permissions', () => {
  let dir: string;
  let server: LocalNats;
  let db: TestDatabase;
  let topology: Topology;
  const svcPass = secret();
  const readerPass = secret();
  const user = nkeys.createUser();
  const nkeySeed = new TextDecoder().decode(user.getSeed());
  const nkeyPublic = user.getPublicKey();
  const opened: NatsHandle[] = [];
  const connectAs = async (c: NatsConnectionConfig) => {
    const h = await connectNats({ servers: [server.url], ...c }, { timeoutMs: 3000 });
    opened.push(h);
    return h;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ms-nats-auth-'));
    const q = (s: string) => JSON.stringify(s);
    const config = [
      // No store_dir: startLocalNats then stores in its dataDir (inside `dir`, removed afterwards).
      'jetstream { max_memory_store: 64MB, max_file_store: 1GB }',
      'accounts {',
      '  APP {',
      '    jetstream: enabled',
      '    users: [',
      `      { user: "svc", password: ${q(svcPass)} }`,
      `      { nkey: ${q(nkeyPublic)} }`,
      `      { user: "reader", password: ${q(readerPass)}, permissions: { publish: { allow: [${READ_ONLY_PUBLISH.map(q).join(', ')}] }, subscribe: { allow: [">"] } } }`,
      '    ]',
      '  }',
      '}',
    ].join('\n');
    await writeFile(join(dir, 'server.conf'), config);
    server = await startLocalNats({ dataDir: join(dir, 'js'), args: ['-c', join(dir, 'server.conf')] });
    db = await createTestDatabase('natsauth');
    topology = buildTopology({ namespace: `${testServers().runId}_auth${randomBytes(2).toString('hex')}`, profile: 'test', clusterSize: 1 });
  });

  afterAll(async () => {
    for (const h of opened) await h.close().catch(() => undefined);
    await server?.stop();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the services\' code path (provision, state store write and read) as a user/password account', async () => {
    const nats = await connectAs({ user: 'svc', pass: svcPass });
    const report = await provision(nats, topology);
    expect(report.created).toContain(topology.streams.agentState.name);
    const store = await createStateStore({ nats, pg: db.pg, topology }, { writerId: 'svc' });
    await store.write('auth-svc', 'plan', { steps: 3 });
    expect(await store.read('auth-svc', 'plan')).toEqual({ steps: 3 });
    await store.close();
  });

  it('runs the same code path as an nkey user (seed passed as nkeySeed)', async () => {
    const nats = await connectAs({ nkeySeed });
    const report = await provision(nats, topology);
    expect(report.created).toEqual([]);
    const store = await createStateStore({ nats, pg: db.pg, topology }, { writerId: 'nkey' });
    await store.write('auth-nkey', 'count', 7);
    expect(await store.read('auth-nkey', 'count')).toBe(7);
    expect(await store.read('auth-svc', 'plan')).toEqual({ steps: 3 });
    await store.close();
  });

  it('lets a read-only user read state, replay the stream and follow live events', async () => {
    const reader = await connectAs({ user: 'reader', pass: readerPass });
    const store = await createStateStore({ nats: reader, pg: db.pg, topology }, { writerId: 'reader' });
    expect(await store.read('auth-svc', 'plan')).toEqual({ steps: 3 });
    const log = new JetStreamEventLog(reader, topology.streams.agentState, { namespace: topology.namespace });
    const replayed: unknown[] = [];
    for await (const item of log.read({ filter: 'agents.state.auth-svc' })) if (item.kind === 'event') replayed.push((item.record.event.data as { value: unknown }).value);
    expect(replayed).toEqual([{ steps: 3 }]);

    const live = log.subscribe({ filter: 'agents.state.auth-svc', from: 'new' });
    const next = (async () => {
      for await (const item of live) if (item.kind === 'event') return (item.record.event.data as { value: unknown }).value;
      return undefined;
    })();
    const writer = await createStateStore({ nats: await connectAs({ user: 'svc', pass: svcPass }), pg: db.pg, topology }, { writerId: 'svc2' });
    await writer.write('auth-svc', 'plan', { steps: 4 });
    expect(await next).toEqual({ steps: 4 });
    await live.stop();
    await writer.close();
    await store.close();
  });

  it('denies the read-only user\'s writes with PERMISSION_DENIED, naming no credential', async () => {
    const reader = await connectAs({ user: 'reader', pass: readerPass });
    const store = await createStateStore({ nats: reader, pg: db.pg, topology }, { writerId: 'reader', watch: false });
    const write = await settle(store.write('auth-svc', 'plan', { steps: 99 }));
    const kv = await JetStreamKvStore.open(reader, topology.buckets.agentState.bucket);
    const put = await settle(kv.put('auth-svc.plan', '{"epoch":0,"seq":0,"strategy":"lww","value":1}'));
    const drop = await settle(deprovision(reader, topology));
    for (const [what, r] of [['state write', write], ['KV put', put], ['deprovision', drop]] as const) {
      expect(r.ok, `${what} must be refused`).toBe(false);
      const e = (r as { error: unknown }).error;
      expect(MisterSmithError.is(e) ? e.code : `untyped: ${String(e)}`, what).toBe('PERMISSION_DENIED');
      expect(exposed(e)).not.toContain(readerPass);
    }
    // Nothing was written: the value is still the full user's.
    const check = await createStateStore({ nats: await connectAs({ user: 'svc', pass: svcPass }), pg: db.pg, topology }, { writerId: 'check', watch: false });
    expect(await check.read('auth-svc', 'plan')).toEqual({ steps: 4 });
    await check.close();
    await store.close();
  });

  it('refuses a wrong password or an unknown nkey with PERMISSION_DENIED, without echoing the secret', async () => {
    const wrong = secret();
    const attempts = [
      settle(connectNats({ servers: [server.url], user: 'svc', pass: wrong }, { timeoutMs: 3000 })),
      settle(connectNats({ servers: [server.url.replace('nats://', `nats://svc:${wrong}@`)] }, { timeoutMs: 3000 })),
      settle(connectNats({ servers: [server.url], nkeySeed: new TextDecoder().decode(nkeys.createUser().getSeed()) }, { timeoutMs: 3000 })),
    ];
    for (const [i, r] of (await Promise.all(attempts)).entries()) {
      expect(r.ok, `attempt ${i}`).toBe(false);
      const e = (r as { error: unknown }).error;
      expect(MisterSmithError.is(e) ? e.code : `untyped: ${String(e)}`, `attempt ${i}`).toBe('PERMISSION_DENIED');
      expect(exposed(e), `attempt ${i} shows the password`).not.toContain(wrong);
    }
  });

  it('rejects a malformed nkey seed with a typed error that does not show the seed', async () => {
    const bad = `SUA${'X'.repeat(55)}`;
    const r = await settle(connectNats({ servers: [server.url], nkeySeed: bad }, { timeoutMs: 3000 }));
    expect(r.ok).toBe(false);
    const e = (r as { error: unknown }).error;
    expect(MisterSmithError.is(e), `typed: ${String(e)}`).toBe(true);
    expect(exposed(e)).not.toContain(bad);
  });

  it('redacts passwords from URLs (NATS server lists and PostgreSQL connection strings)', () => {
    const pw = secret();
    for (const url of [
      `nats://svc:${pw}@127.0.0.1:4222`,
      `nats://a:${pw}@h1:4222,nats://b:${pw}@h2:4222`,
      `postgres://app:${pw}@db.example:5432/ms`,
      `postgres://app:p@ss${pw}@db.example:5432/ms`,
      `postgres://db.example/ms?user=app&password=${pw}`,
    ]) expect(redactUrl(url), url).not.toContain(pw);
  });

  it('keeps credentials out of the logs: the state store\'s logs and a logged configuration', async () => {
    const out = memoryLog();
    const logger = createLogger('auth-test', { destination: out.stream, level: 'debug' });
    const config = loadConfig({ NATS_URL: server.url, NATS_USER: 'svc', NATS_PASSWORD: svcPass, NATS_NKEY_SEED: nkeySeed, NATS_TOKEN: secret(), DATABASE_URL: `postgres://app:${svcPass}@127.0.0.1/x` });
    logger.info({ config }, 'starting with configuration');
    logger.info({ nats: config.nats }, 'connecting');
    const nats = await connectAs({ user: 'svc', pass: svcPass });
    const store = await createStateStore({ nats, pg: db.pg, topology, logger }, { writerId: 'logged' });
    await store.write('auth-log', 'k', 1);
    await store.close();
    const failed = await settle(connectNats({ servers: [server.url], user: 'svc', pass: `${svcPass}x` }, { timeoutMs: 3000 }));
    logger.error({ err: (failed as { error: unknown }).error }, 'connect failed');
    const text = out.text();
    expect(text).toContain('starting with configuration');
    expect(text).not.toContain(svcPass);
    expect(text).not.toContain(nkeySeed);
    expect(text).not.toContain(config.nats.token!);
  });
});
