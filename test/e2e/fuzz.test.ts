/**
 * Fuzzing the subjects the state plane consumes (`agents.state.<id>` on the shared NATS, a fresh
 * namespace and database): malformed messages of every family, interleaved with good writes from
 * the state store. No consumer may crash or stop, every bad message must be surfaced with a reason
 * or rejected, none may change any agent's state, and the good traffic must be fully processed.
 *
 * Consumers covered: `decodeEvent`, the event log's `read()` and `subscribe()` (which yield
 * `malformed` items), `recoverFromStream`, the state store's write path (which catches up from the
 * stream after a foreign append), `read` and `hydrateAgent`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asStateChanged, createStateStore, decodeEvent, MisterSmithError, recoverFromStream,
  silentLogger, type LogItem, type StateStore,
} from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { startBridge } from '@mister-smith/bridge';
import { agentStateProjection, createProjectionHost, type ProjectionHost } from '@mister-smith/projections';
import { badMessage, goodEnvelope, type BadMessage } from './harness/badMessages.js';
import { scanStream } from './harness/scanStream.js';

const AGENTS = ['fz-a', 'fz-b', 'fz-c'] as const;
const KEYS = ['k0', 'k1', 'k2'] as const;
const DECODE_CODES = ['MALFORMED_EVENT', 'UNSUPPORTED_SCHEMA'];
/** Codes with which a decoded event is refused as state: bad shape, bad id, bad key. */
const REJECT_CODES = ['MALFORMED_EVENT', 'INVALID_ID', 'INVALID_KEY'];

type Op = { kind: 'good'; agent: string; key: string } | { kind: 'bad'; agent: string; msg: BadMessage };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('good' as const), agent: fc.constantFrom(...AGENTS), key: fc.constantFrom(...KEYS) }) },
  { weight: 3, arbitrary: fc.constantFrom(...AGENTS).chain((agent) => badMessage(agent, KEYS, { hugeMaxBytes: 600_000 }).map((msg) => ({ kind: 'bad' as const, agent, msg }))) },
);

const codeOf = (e: unknown) => (MisterSmithError.is(e) ? e.code : `UNTYPED:${String(e)}`);

describe('fuzz: malformed messages on agents.state.<id> interleaved with good state writes', () => {
  let env: TestEnv;
  let store: StateStore;
  /** What every agent must hold: the last good value per key. */
  const model = new Map<string, Map<string, number>>(AGENTS.map((a) => [a, new Map()]));
  let counter = 0;
  const published = { good: 0, bad: 0, surfaced: 0, rejectedAsState: 0, ignoredType: 0, kinds: new Map<string, number>() };
  /** Everything the live subscription delivered, by stream sequence. */
  const live = new Map<number, LogItem>();
  let liveFailure: unknown;
  let liveStop: (() => Promise<void>) | undefined;
  let liveDone: Promise<void> | undefined;

  beforeAll(async () => {
    env = await startTestEnv();
    store = await createStateStore(env, { writerId: 'good', flushThreshold: 10_000, flushIntervalMs: 60_000 });
    const sub = env.logs.agentState.subscribe({ filter: 'agents.state.>', from: 'new' });
    liveStop = () => sub.stop();
    liveDone = (async () => {
      try {
        for await (const item of sub) if (item.kind !== 'caught-up') live.set(item.kind === 'event' ? item.record.seq : item.seq, item);
      } catch (e) {
        liveFailure = e;
      }
    })();
  });

  afterAll(async () => {
    await liveStop?.();
    await liveDone;
    await store?.close();
    await env?.close();
  });

  it('decodeEvent answers any bytes with a valid envelope or a typed MALFORMED_EVENT / UNSUPPORTED_SCHEMA', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v))),
      badMessage('fz-a', KEYS, { hugeMaxBytes: 200_000 }).map((m) => m.bytes),
    );
    fc.assert(fc.property(bytes, (b) => {
      try {
        const e = decodeEvent(b);
        expect(typeof e.id === 'string' && typeof e.type === 'string' && e.schemaVersion === 1).toBe(true);
      } catch (e) {
        expect(DECODE_CODES).toContain(codeOf(e));
      }
    }), { numRuns: 1000 });
  });

  it('processes every good write and applies no bad message: read(), recoverFromStream, store reads and hydration agree with the good writes alone', async () => {
    const log = env.logs.agentState;
    const kv = await env.bucket('agentState');
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 20 }), async (ops) => {
      const goodSeqs = new Map<number, { agent: string; key: string; value: number }>();
      const badSeqs = new Map<number, BadMessage>();
      let firstSeq = Number.POSITIVE_INFINITY;
      for (const o of ops) {
        if (o.kind === 'good') {
          const value = ++counter;
          const r = await store.write(o.agent, o.key, value);
          model.get(o.agent)!.set(o.key, value);
          goodSeqs.set(r.version.seq, { agent: o.agent, key: o.key, value });
          firstSeq = Math.min(firstSeq, r.version.seq);
          published.good++;
        } else {
          const ack = await env.nats.js.publish(log.subjectOf(`agents.state.${o.msg.subjectSuffix ?? o.agent}`), o.msg.bytes, { timeout: 10_000 });
          badSeqs.set(ack.seq, o.msg);
          firstSeq = Math.min(firstSeq, ack.seq);
          published.bad++;
          published.kinds.set(o.msg.kind.replace(/\d+/g, 'N'), (published.kinds.get(o.msg.kind.replace(/\d+/g, 'N')) ?? 0) + 1);
        }
      }

      // 1. The event log surfaces every message once: good ones as events, bad ones as malformed
      //    (with a typed reason) or as events the state consumers refuse with a typed reason.
      const seen = new Set<number>();
      for await (const item of log.read({ filter: 'agents.state.>', from: { seq: firstSeq } })) {
        if (item.kind === 'caught-up') continue;
        const seq = item.kind === 'event' ? item.record.seq : item.seq;
        expect(seen.has(seq), `seq ${seq} delivered twice`).toBe(false);
        seen.add(seq);
        const good = goodSeqs.get(seq);
        const bad = badSeqs.get(seq);
        if (good) {
          expect(item.kind).toBe('event');
          if (item.kind === 'event') expect((item.record.event.data as { value: unknown }).value).toBe(good.value);
        } else if (bad) {
          if (item.kind === 'malformed') {
            expect(DECODE_CODES, bad.kind).toContain(item.error.code);
            expect(item.data.length).toBe(bad.bytes.length);
            published.surfaced++;
          } else if (item.kind === 'event' && item.record.event.type !== 'StateChanged') {
            published.ignoredType++;
          } else if (item.kind === 'event' && bad.subjectSuffix === undefined) {
            let refused: unknown;
            try { asStateChanged(item.record.event); } catch (e) { refused = e; }
            expect(refused, `${bad.kind} was accepted as a StateChanged`).toBeDefined();
            expect(REJECT_CODES, bad.kind).toContain(codeOf(refused));
            published.rejectedAsState++;
          }
        }
      }
      const notDelivered = [...goodSeqs.keys(), ...badSeqs.keys()].filter((s) => !seen.has(s));
      if (notDelivered.length > 0) {
        const stored = await Promise.all(notDelivered.map(async (s) => { const m = await env.nats.jsm.streams.getMessage(log.stream, { seq: s }); return `${s}:${m?.subject}:${m?.data.length}`; }));
        expect.fail(`read() from ${firstSeq} (head ${await log.headOf('agents.state.>')}) delivered ${[...seen].sort((a, b) => a - b).join(',')} but not ${stored.join(' ')}`);
      }

      // 2. Catch-up from the stream folds the good writes only.
      for (const agent of AGENTS) {
        const { latest } = await recoverFromStream(log, agent, 0);
        const folded = Object.fromEntries([...latest].map(([k, e]) => [k, e.value]));
        expect(folded, agent).toEqual(Object.fromEntries(model.get(agent)!));
        for (const [key, value] of model.get(agent)!) expect(await store.read(agent, key), `${agent}.${key}`).toBe(value);
      }

      // 3. KV loses everything; a fresh store hydrates from PostgreSQL plus the stream's tail.
      await store.flush();
      for (const agent of AGENTS) for (const k of await kv.keys(`${agent}.>`)) await kv.purge(k);
      const fresh = await createStateStore(env, { writerId: 'hydrator', watch: false, cache: { maxEntries: 0 } });
      try {
        for (const agent of AGENTS) {
          await fresh.hydrateAgent(agent);
          expect(await fresh.readAll(agent), `${agent} after hydration`).toEqual(Object.fromEntries(model.get(agent)!));
        }
      } finally {
        await fresh.close();
      }
    }), { numRuns: 20, endOnFailure: true, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) });
    console.log(`fuzz: ${published.good} good writes, ${published.bad} bad messages: ${published.surfaced} surfaced as malformed, ` +
      `${published.rejectedAsState} refused as state, ${published.ignoredType} of other types ignored; kinds ${JSON.stringify(Object.fromEntries(published.kinds))}`);
    expect(published.good).toBeGreaterThan(0);
    expect(published.bad).toBeGreaterThan(0);
  }, 120_000);

  it('keeps the live subscription running through the fuzzing: every message delivered, then a new write', async () => {
    const r = await store.write('fz-a', 'k0', ++counter);
    model.get('fz-a')!.set('k0', counter);
    for (let i = 0; i < 100 && !live.has(r.version.seq) && liveFailure === undefined; i++) await new Promise((res) => setTimeout(res, 100));
    expect(liveFailure).toBeUndefined();
    expect(live.has(r.version.seq)).toBe(true);
    const { lastSeq } = await env.logs.agentState.bounds();
    const first = Math.min(...live.keys());
    const missing = Array.from({ length: lastSeq - first + 1 }, (_, i) => first + i).filter((s) => !live.has(s));
    expect(missing).toEqual([]);
    const malformed = [...live.values()].filter((i) => i.kind === 'malformed');
    expect(malformed.length).toBeGreaterThan(0);
    for (const m of malformed) if (m.kind === 'malformed') expect(DECODE_CODES).toContain(m.error.code);
  }, 30_000);

  it('does not apply a well-formed StateChanged whose envelope names another agent than the subject it is stored under', async () => {
    const victim = 'fz-b';
    const before = Object.fromEntries(model.get(victim)!);
    const forged = goodEnvelope('fz-c', 'k1', 'forged');
    await env.nats.js.publish(env.logs.agentState.subjectOf(`agents.state.${victim}`), new TextEncoder().encode(JSON.stringify(forged)));
    const { latest } = await recoverFromStream(env.logs.agentState, victim, 0);
    expect(Object.fromEntries([...latest].map(([k, e]) => [k, e.value]))).toEqual(before);
    await store.flush();
    const fresh = await createStateStore(env, { writerId: 'hydrator2', watch: false, cache: { maxEntries: 0 } });
    const kv = await env.bucket('agentState');
    for (const k of await kv.keys(`${victim}.>`)) await kv.purge(k);
    await fresh.hydrateAgent(victim);
    expect(await fresh.readAll(victim)).toEqual(before);
    await fresh.close();
  });

});

describe('fuzz: the agent-state projection under the same malformed traffic', () => {
  let env: TestEnv;
  let store: StateStore;
  let host: ProjectionHost;
  const model = new Map<string, Map<string, number>>(AGENTS.map((a) => [a, new Map()]));
  let counter = 0;

  beforeAll(async () => {
    env = await startTestEnv();
    // No write-behind during the property: every row in agents.state comes from the projection.
    store = await createStateStore(env, { writerId: 'good', flushThreshold: 1_000_000, flushIntervalMs: 3_600_000 });
    host = createProjectionHost({ nats: env.nats, pg: env.pg, topology: env.topology },
      [agentStateProjection({ kv: await env.bucket('agentState') })], { maxAttempts: 2, retryBaseMs: 5 });
    await host.start();
  });

  afterAll(async () => {
    await host?.stop();
    await store?.close();
    await env?.close();
  });

  const caughtUp = async () => {
    const { lastSeq } = await env.logs.agentState.bounds();
    for (let i = 0; i < 200; i++) {
      const st = await host.statusOf('agent-state');
      if (st.state === 'failed' || st.checkpoint.seq >= lastSeq) return st;
      await new Promise((r) => setTimeout(r, 100));
    }
    return host.statusOf('agent-state');
  };

  it('projects every good write and dead-letters every bad message with a reason, without failing or stopping', async () => {
    // Events on a deeper subject that name a valid agent are the subject of their own test below.
    const ops = fc.array(op.filter((o) => o.kind === 'good' || o.msg.subjectSuffix === undefined || !o.msg.subjectSuffix.includes('.')), { minLength: 4, maxLength: 20 });
    let bad = 0;
    let dead = 0;
    await fc.assert(fc.asyncProperty(ops, async (batch) => {
      const badSeqs = new Map<number, BadMessage>();
      for (const o of batch) {
        if (o.kind === 'good') {
          const value = ++counter;
          await store.write(o.agent, o.key, value);
          model.get(o.agent)!.set(o.key, value);
        } else {
          const ack = await env.nats.js.publish(env.logs.agentState.subjectOf(`agents.state.${o.msg.subjectSuffix ?? o.agent}`), o.msg.bytes, { timeout: 10_000 });
          badSeqs.set(ack.seq, o.msg);
          bad++;
        }
      }
      const st = await caughtUp();
      expect(st.state, st.reason).not.toBe('failed');
      expect(st.lag).toBe(0);
      const rows = await env.pg.db.selectFrom('agents.state').select(['agent_id', 'state_key', 'state_value']).where('agent_id', 'in', [...AGENTS]).execute();
      for (const agent of AGENTS) {
        const projected = Object.fromEntries(rows.filter((r) => r.agent_id === agent).map((r) => [r.state_key, r.state_value]));
        expect(projected, agent).toEqual(Object.fromEntries(model.get(agent)!));
      }
      const letters = await env.pg.withClient((c) => c.query<{ seq: string; reason: string }>('SELECT seq::text AS seq, reason FROM mister_smith.dead_letters WHERE stream = $1', [env.topology.streams.agentState.name]));
      dead = letters.rows.length;
      const deadSeqs = new Map(letters.rows.map((r) => [Number(r.seq), r.reason]));
      for (const [seq, msg] of badSeqs) {
        let skippedByDesign = false;
        try { skippedByDesign = decodeEvent(msg.bytes).type === 'OwnershipAcquired'; } catch { /* undecodable: must be dead-lettered */ }
        if (skippedByDesign) continue;
        expect(deadSeqs.get(seq), `${msg.kind} at seq ${seq} not dead-lettered`).toMatch(/\S/);
      }
    }), { numRuns: 12, endOnFailure: true });
    console.log(`projection fuzz: ${counter} good writes projected, ${bad} bad messages, ${dead} dead letters with a reason; state ${(await host.statusOf('agent-state')).state}`);
  }, 120_000);

  it('does not project an event stored under another agent\'s subject (forged agentId, deeper subject)', async () => {
    const before = Object.fromEntries(model.get('fz-a')!);
    const enc = new TextEncoder();
    await env.nats.js.publish(env.logs.agentState.subjectOf('agents.state.fz-b'), enc.encode(JSON.stringify(goodEnvelope('fz-a', 'k0', 'forged'))));
    await env.nats.js.publish(env.logs.agentState.subjectOf('agents.state.fz-a.extra'), enc.encode(JSON.stringify({ ...goodEnvelope('fz-a', 'k1', 'deeper'), subject: 'agents.state.fz-a.extra' })));
    const st = await caughtUp();
    expect(st.lag).toBe(0);
    const rows = await env.pg.db.selectFrom('agents.state').select(['state_key', 'state_value']).where('agent_id', '=', 'fz-a').execute();
    expect(Object.fromEntries(rows.map((r) => [r.state_key, r.state_value]))).toEqual(before);
  });
});

/** Rows operators or triggers could leave in `mister_smith.outbox`, good and bad. */
const outboxRow = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 1_000_000 }).map((n) => ({ good: true, subject: 'agents.state.fzb-good', eventType: 'StateEditedInSql', payload: { operation: 'UPDATE', agent_id: 'fzb-good', state_key: 'k', new_value: n, version: 0 } })) },
  { weight: 2, arbitrary: fc.record({ good: fc.constant(false), subject: fc.string({ maxLength: 80 }), eventType: fc.constantFrom('StateEditedInSql', 'TaskCreated'), payload: fc.jsonValue({ maxDepth: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ good: fc.constant(false), subject: fc.constantFrom('agents.state.-x', 'agents.state.a.b', 'agents.state.', 'agents.state.a b', 'agents.>', 'tasks.unknown.x', 'nowhere', 'agents.state.fzb-good'), eventType: fc.constantFrom('', 'x'.repeat(129), 'StateEditedInSql'), payload: fc.jsonValue({ maxDepth: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ good: fc.constant(false), subject: fc.constant('agents.state.fzb-other'), eventType: fc.constant('StateEditedInSql'), payload: fc.constant({ agent_id: 'fzb-good', note: 'names another agent than its subject' }) }) },
);

describe('fuzz: malformed outbox rows interleaved with good ones, through the bridge', () => {
  it('publishes every good row once and dead-letters every other row it cannot publish with a reason, without stopping', async () => {
    await using env = await startTestEnv();
    const sysid = (await env.pg.withClient((c) => c.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()'))).rows[0]!.id;
    await using bridge = await startBridge({ pg: env.pg, nats: env.nats, topology: env.topology, logger: silentLogger(), pollIntervalMs: 50 });
    let rows = 0;
    let dead = 0;
    await fc.assert(fc.asyncProperty(fc.array(outboxRow, { minLength: 1, maxLength: 20 }), async (batch) => {
      const goodIds: string[] = [];
      for (const r of batch) {
        const { rows: [inserted] } = await env.pg.withClient((c) => c.query<{ id: string }>(
          'INSERT INTO mister_smith.outbox (subject, event_type, payload) VALUES ($1, $2, $3::jsonb) RETURNING id::text AS id', [r.subject, r.eventType, JSON.stringify(r.payload)]));
        if (r.good) goodIds.push(inserted!.id);
      }
      rows += batch.length;
      let left = -1;
      for (let i = 0; i < 200 && left !== 0; i++) {
        left = Number((await env.pg.withClient((c) => c.query<{ n: string }>('SELECT count(*) AS n FROM mister_smith.outbox WHERE published_at IS NULL'))).rows[0]!.n);
        if (left !== 0) await new Promise((res) => setTimeout(res, 50));
      }
      expect(left, `outbox not drained; bridge ${JSON.stringify(bridge.status())}`).toBe(0);
      const status = bridge.status();
      expect(status.active).toBe(true);
      expect(status.published + status.deadLettered).toBe(rows);
      const letters = (await env.pg.withClient((c) => c.query<{ reason: string }>('SELECT reason FROM mister_smith.dead_letters'))).rows;
      dead = letters.length;
      expect(letters.length).toBe(status.deadLettered);
      for (const l of letters) expect(l.reason).toMatch(/^[A-Z_]+\b/);
      const published = await scanStream(env.nats, env.topology.streams.agentState.name, { filter: env.logs.agentState.subjectOf('agents.state.fzb-good') });
      const ids = new Map<string, number>();
      for (const m of published) if (m.msgId) ids.set(m.msgId, (ids.get(m.msgId) ?? 0) + 1);
      for (const id of goodIds) expect(ids.get(`outbox:${sysid}:${id}`), `good outbox row ${id}`).toBe(1);
    }), { numRuns: 12, endOnFailure: true });
    console.log(`bridge fuzz: ${rows} outbox rows, ${dead} dead-lettered with a reason, the rest published; bridge still active`);
  }, 120_000);
});
