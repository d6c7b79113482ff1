import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuid6, type Checkpoint, type CheckpointMetadata, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { createDatabase, type DatabaseHandle } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { LangGraphError } from '../errors/LangGraphError.js';
import { deprovisionLangGraph } from '../nats/provisionLangGraph.js';
import { MisterSmithSaver, type MisterSmithSaverOptions } from './MisterSmithSaver.js';

let env: TestEnv;
const savers: MisterSmithSaver[] = [];
const extraPg: DatabaseHandle[] = [];

beforeAll(async () => { env = await startTestEnv({ provision: false, migrate: false }); });
afterAll(async () => {
  for (const s of savers) await s.close();
  if (savers[0]) await deprovisionLangGraph(env.nats, savers[0].topology);
  for (const p of extraPg) await p.close();
  await env.close();
});

/** A saver on its own NATS connection and pool, like another process. */
async function openSaver(options: Partial<MisterSmithSaverOptions> = {}): Promise<MisterSmithSaver> {
  const pg = await createDatabase(env.databaseUrl, { max: 4 });
  extraPg.push(pg);
  const saver = await MisterSmithSaver.open({ nats: await env.connect(), pg, namespace: env.namespace, profile: 'test', ...options });
  savers.push(saver);
  return saver;
}

function checkpoint(values: Record<string, unknown>, versions: Record<string, number>): Checkpoint {
  return { v: 4, id: uuid6(3), ts: new Date().toISOString(), channel_values: values, channel_versions: versions, versions_seen: {} };
}

const meta = (step: number, extra: Record<string, unknown> = {}): CheckpointMetadata => ({ source: 'loop', step, parents: {}, ...extra });
const thread = (threadId: string, checkpointId?: string): RunnableConfig => ({ configurable: { thread_id: threadId, checkpoint_ns: '', ...(checkpointId ? { checkpoint_id: checkpointId } : {}) } });

async function all(saver: MisterSmithSaver, config: RunnableConfig): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  for await (const t of saver.list(config)) out.push(t);
  return out;
}

/** Puts `n` checkpoints in a chain; returns their configs, oldest first. */
async function chain(saver: MisterSmithSaver, threadId: string, n: number, extra: (i: number) => Record<string, unknown> = () => ({})): Promise<RunnableConfig[]> {
  const out: RunnableConfig[] = [];
  let config = thread(threadId);
  for (let i = 0; i < n; i++) {
    config = await saver.put(config, checkpoint({ n: i }, { n: i + 1 }), meta(i, extra(i)), { n: i + 1 });
    await saver.putWrites(config, [['n', i + 100]], `task-${i}`);
    out.push(config);
  }
  return out;
}

describe('MisterSmithSaver: single writer per thread', () => {
  it('two savers racing on one head: one put lands, the other gets THREAD_FENCED, the chain does not fork', async () => {
    const a = await openSaver();
    const b = await openSaver();
    const t = `race-${randomBytes(3).toString('hex')}`;
    const [root] = await chain(a, t, 1);
    const headA = await a.getTuple(thread(t));
    const headB = await b.getTuple(thread(t));
    expect(headB?.config).toEqual(headA?.config);
    const results = await Promise.allSettled([
      a.put(headA!.config, checkpoint({ n: 'a' }, { n: 2 }), meta(1), { n: 2 }),
      b.put(headB!.config, checkpoint({ n: 'b' }, { n: 2 }), meta(1), { n: 2 }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(LangGraphError.is(lost[0]!.reason, 'THREAD_FENCED')).toBe(true);
    // Whichever won, its group commit may still be running: wait for both savers' PostgreSQL writes.
    await a.flush();
    await b.flush();
    const children = (await all(a, thread(t))).filter((c) => c.parentConfig?.configurable?.checkpoint_id === root!.configurable!.checkpoint_id);
    expect(children).toHaveLength(1);
  });

  it('two savers looping read-then-write on one thread build one linear chain', async () => {
    const a = await openSaver();
    const b = await openSaver();
    const t = `loop-${randomBytes(3).toString('hex')}`;
    await chain(a, t, 1);
    let fenced = 0;
    const writer = async (saver: MisterSmithSaver, tag: string) => {
      let written = 0;
      for (let i = 0; i < 15; i++) {
        const head = await saver.getTuple(thread(t));
        try {
          await saver.put(head!.config, checkpoint({ n: `${tag}${i}` }, { n: 100 + i }), meta(i), { n: 100 + i });
          written++;
        } catch (e) {
          if (!LangGraphError.is(e, 'THREAD_FENCED')) throw e;
          fenced++;
        }
      }
      return written;
    };
    const [wa, wb] = await Promise.all([writer(a, 'a'), writer(b, 'b')]);
    // At the default durability PostgreSQL follows each saver by group commit: wait for both.
    await a.flush();
    await b.flush();
    const stored = await all(b, thread(t));
    expect(stored).toHaveLength(1 + wa + wb);
    const parents = stored.map((c) => c.parentConfig?.configurable?.checkpoint_id).filter((p) => p !== undefined);
    expect(new Set(parents).size).toBe(parents.length); // no checkpoint has two children: no fork
    expect(wa + wb + fenced).toBe(30);
  });

  it('a fork from an old checkpoint by the thread\'s writer is allowed (time travel)', async () => {
    const a = await openSaver();
    const t = `fork-${randomBytes(3).toString('hex')}`;
    const configs = await chain(a, t, 3);
    await a.getTuple(thread(t));
    const forked = await a.put(configs[0]!, checkpoint({ n: 'fork' }, { n: 9 }), meta(1), { n: 9 });
    const latest = await a.getTuple(thread(t));
    expect(latest?.config).toEqual(forked);
    expect(latest?.parentConfig?.configurable?.checkpoint_id).toBe(configs[0]!.configurable!.checkpoint_id);
    expect(latest?.checkpoint.channel_values).toEqual({ n: 'fork' });
  });
});

describe('MisterSmithSaver: thread ids and durability', () => {
  it('arbitrary thread ids (dots, spaces, unicode, 2000 characters) are kept apart and round-trip', async () => {
    const a = await openSaver();
    const ids = ['a.b', 'a_2Eb', 'a b', 'ü/ö>*', '', 'x'.repeat(2000), 'x'.repeat(1999) + 'y'];
    for (const id of ids) await a.put(thread(id), checkpoint({ who: id }, { who: 1 }), meta(0), { who: 1 });
    for (const id of ids) {
      const t = await a.getTuple(thread(id));
      expect(t?.checkpoint.channel_values).toEqual({ who: id });
      expect(t?.config.configurable?.thread_id).toBe(id);
      expect(await all(a, thread(id))).toHaveLength(1);
    }
  });

  it("durability 'postgres': an acknowledged put is already in PostgreSQL", async () => {
    const a = await openSaver({ durability: 'postgres' });
    const t = `pg-${randomBytes(3).toString('hex')}`;
    const config = await a.put(thread(t), checkpoint({ n: 1 }, { n: 1 }), meta(0), { n: 1 });
    await a.putWrites(config, [['n', 2]], 'task');
    const { rows } = await env.pg.withClient((c) => c.query(`SELECT (SELECT count(*) FROM langgraph.checkpoints WHERE thread_id = $1)::int AS c, (SELECT count(*) FROM langgraph.checkpoint_writes WHERE thread_id = $1)::int AS w`, [t]));
    expect(rows[0]).toEqual({ c: 1, w: 1 });
  });

  it("kvWrite 'background': the saver reads its own puts at once, and another saver writing behind it is fenced, not forked", async () => {
    const a = await openSaver({ kvWrite: 'background' });
    const b = await openSaver();
    const t = `bg-${randomBytes(3).toString('hex')}`;
    const configs = await chain(a, t, 3);
    expect((await a.getTuple(thread(t)))?.config).toEqual(configs[2]);
    const stale = { configurable: { thread_id: t, checkpoint_ns: '', checkpoint_id: configs[1]!.configurable!.checkpoint_id } };
    await b.getTuple(thread(t));
    await a.put(configs[2]!, checkpoint({ n: 'a' }, { n: 10 }), meta(3), { n: 10 });
    const e = await b.put(stale, checkpoint({ n: 'b' }, { n: 10 }), meta(3), { n: 10 }).catch((x: unknown) => x);
    expect(LangGraphError.is(e, 'THREAD_FENCED')).toBe(true);
    await a.flush();
    expect(await all(b, thread(t))).toHaveLength(4);
  });

  it('pending writes too big for the KV head are served from PostgreSQL', async () => {
    const a = await openSaver();
    const b = await openSaver();
    const t = `big-${randomBytes(3).toString('hex')}`;
    const [c0] = await chain(a, t, 1);
    const big = (c: string) => c.repeat(500_000);
    await a.putWrites(c0!, [['x', big('a')]], 'big-1');
    await a.putWrites(c0!, [['y', big('b')]], 'big-2');
    const shape = (w: [string, string, unknown][] | undefined) => w?.map(([task, ch, v]) => [task, ch, typeof v === 'string' ? v.length : v]);
    const expected = [['big-1', 'x', 500_000], ['big-2', 'y', 500_000], ['task-0', 'n', 100]];
    expect(shape((await a.getTuple(thread(t)))?.pendingWrites)).toEqual(expected);
    await a.flush();
    expect(shape((await b.getTuple(thread(t)))?.pendingWrites)).toEqual(expected);
  });

  it('another saver reads the latest checkpoint and its writes from KV right after the put', async () => {
    const a = await openSaver();
    const b = await openSaver();
    const t = `hot-${randomBytes(3).toString('hex')}`;
    const [c0] = await chain(a, t, 1);
    const got = await b.getTuple(thread(t));
    expect(got?.config).toEqual(c0);
    expect(got?.pendingWrites).toEqual([['task-0', 'n', 100]]);
  });
});

describe('MisterSmithSaver: prune, copyThread, deleteForRuns, retention', () => {
  it("prune 'keep_latest' keeps each thread's latest checkpoint with its writes; 'delete' removes the thread", async () => {
    const a = await openSaver();
    const t1 = `prune1-${randomBytes(3).toString('hex')}`;
    const t2 = `prune2-${randomBytes(3).toString('hex')}`;
    const c1 = await chain(a, t1, 4);
    await chain(a, t2, 2);
    await a.prune([t1], 'keep_latest');
    const left = await all(a, thread(t1));
    expect(left.map((c) => c.config)).toEqual([c1[3]]);
    expect(left[0]!.checkpoint.channel_values).toEqual({ n: 3 });
    expect(left[0]!.pendingWrites).toEqual([['task-3', 'n', 103]]);
    expect(await all(a, thread(t2))).toHaveLength(2);
    await a.prune([t2], 'delete');
    expect(await all(a, thread(t2))).toHaveLength(0);
    expect(await a.getTuple(thread(t2))).toBeUndefined();
    // A new saver (a restart) replays nothing pruned back.
    const b = await openSaver();
    expect(await all(b, thread(t1))).toHaveLength(1);
    expect(await all(b, thread(t2))).toHaveLength(0);
  });

  it('copyThread forks a whole thread: the copy has every checkpoint and write, and both continue independently', async () => {
    const a = await openSaver();
    const from = `copy-from-${randomBytes(3).toString('hex')}`;
    const to = `copy-to-${randomBytes(3).toString('hex')}`;
    const configs = await chain(a, from, 3);
    await a.copyThread(from, to);
    const copied = await all(a, thread(to));
    expect(copied.map((c) => c.config.configurable?.checkpoint_id)).toEqual([...configs].reverse().map((c) => c.configurable!.checkpoint_id));
    expect(copied.map((c) => c.pendingWrites)).toEqual([[['task-2', 'n', 102]], [['task-1', 'n', 101]], [['task-0', 'n', 100]]]);
    const head = await a.getTuple(thread(to));
    await a.put(head!.config, checkpoint({ n: 'copy' }, { n: 50 }), meta(3), { n: 50 });
    expect((await a.getTuple(thread(to)))?.checkpoint.channel_values).toEqual({ n: 'copy' });
    expect((await a.getTuple(thread(from)))?.checkpoint.channel_values).toEqual({ n: 2 });
  });

  it('deleteForRuns removes the checkpoints of the given runs only', async () => {
    const a = await openSaver();
    const t = `runs-${randomBytes(3).toString('hex')}`;
    const run1 = `r1-${randomBytes(3).toString('hex')}`;
    const run2 = `r2-${randomBytes(3).toString('hex')}`;
    await chain(a, t, 4, (i) => ({ run_id: i < 2 ? run1 : run2 }));
    expect(await a.deleteForRuns([run2])).toBe(2);
    const left = await all(a, thread(t));
    expect(left.map((c) => (c.metadata as Record<string, unknown> | undefined)?.run_id)).toEqual([run1, run1]);
    expect(((await a.getTuple(thread(t)))?.metadata as Record<string, unknown> | undefined)?.run_id).toBe(run1);
  });

  it('a thread past its time-to-live is swept; others stay', async () => {
    const a = await openSaver();
    const t1 = `ttl1-${randomBytes(3).toString('hex')}`;
    const t2 = `ttl2-${randomBytes(3).toString('hex')}`;
    await chain(a, t1, 1);
    await chain(a, t2, 1);
    await a.setThreadTtl(t1, 0);
    await a.setThreadTtl(t2, 3600);
    expect(await a.sweepExpired()).toEqual([t1]);
    expect(await a.getTuple(thread(t1))).toBeUndefined();
    expect(await a.getTuple(thread(t2))).toBeDefined();
  });
});
