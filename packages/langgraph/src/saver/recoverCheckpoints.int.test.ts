/**
 * A writer that dies between its checkpoint's append (the commit point, possibly acknowledged) and
 * its KV head write leaves KV one checkpoint behind the stream. Deterministic form of that window:
 * the checkpoint is appended exactly as `put` appends it, and the KV write never happens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { JetStreamEventLog, JetStreamKvStore, createEvent } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { deprovisionLangGraph } from '../nats/provisionLangGraph.js';
import { buildRecord } from './buildRecord.js';
import { advanceHead, readHead } from './headStore.js';
import { MisterSmithSaver } from './MisterSmithSaver.js';
import { CHECKPOINT_PUT } from './records.js';
import { threadKeys } from './threadKeys.js';

let env: TestEnv;
beforeAll(async () => { env = await startTestEnv({ provision: false, migrate: false }); });
afterAll(async () => { await env?.close(); });

const checkpoint = (n: number): Checkpoint => ({ v: 4, id: uuid6(3), ts: new Date().toISOString(), channel_values: { n }, channel_versions: { n: n + 1 }, versions_seen: {} });
const thread = (threadId: string): RunnableConfig => ({ configurable: { thread_id: threadId, checkpoint_ns: '' } });

describe('recovery after a writer died between its append and its KV head write', () => {
  it('the restarted saver serves the newest checkpoint of the stream as the head, not the older one KV still held', async () => {
    const saver = await MisterSmithSaver.open({ nats: env.nats, pg: env.pg, namespace: env.namespace, profile: 'test' });
    const threadId = 'died before KV';
    const keys = threadKeys(threadId, '');
    try {
      let config = thread(threadId);
      for (let n = 0; n < 2; n++) config = await saver.put(config, checkpoint(n), { source: 'loop', step: n, parents: {} }, { n: n + 1 });
      await saver.flush();

      // The third put of a process that is killed right after its PubAck: the event is in the stream, KV never hears of it.
      const kv = await JetStreamKvStore.open(env.nats, saver.topology.bucket.bucket);
      const log = new JetStreamEventLog(env.nats, saver.topology.stream, { namespace: saver.topology.namespace });
      const before = await readHead(kv, log, keys);
      const lost = checkpoint(2);
      const record = await buildRecord({
        serde: saver.serde, threadId, ns: '', parentId: config.configurable!.checkpoint_id as string, checkpoint: lost,
        metadata: { source: 'loop', step: 2, parents: {} }, newVersions: { n: 3 }, previous: before.entry!.record, lookupBlobs: () => Promise.resolve(new Map()),
      });
      const { seq } = await log.append(createEvent({ type: CHECKPOINT_PUT, subject: keys.checkpointSubject, data: record }), { expectedLastSubjectSeq: before.seq });
      expect((await readHead(kv, log, keys)).entry?.record.id).toBe(config.configurable!.checkpoint_id);

      const restarted = await MisterSmithSaver.open({ nats: await env.connect(), pg: env.pg, namespace: env.namespace, profile: 'test' });
      expect(restarted.lastRecovery).toMatchObject({ replayed: 1, headsRepaired: 1 });
      const head = await restarted.getTuple(thread(threadId));
      expect(head?.config.configurable?.checkpoint_id).toBe(lost.id);
      expect(head?.checkpoint.channel_values.n).toBe(2);
      const listed: string[] = [];
      for await (const t of restarted.list(thread(threadId))) listed.push(t.config.configurable!.checkpoint_id as string);
      expect(listed[0]).toBe(lost.id);
      // The restarted saver writes on from the repaired head (no THREAD_FENCED), and a later recovery never moves KV back.
      const next = await restarted.put(head!.config, checkpoint(3), { source: 'loop', step: 3, parents: {} }, { n: 4 });
      expect(await advanceHead(kv, keys, seq, record, { create: false })).toBe(false);
      expect((await restarted.getTuple(thread(threadId)))?.config.configurable?.checkpoint_id).toBe(next.configurable!.checkpoint_id);
      await restarted.close();
    } finally {
      await saver.close();
      await deprovisionLangGraph(env.nats, saver.topology);
    }
  });
});
