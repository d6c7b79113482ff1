/**
 * Large state values (ARCHITECTURE point 9) across the system: a 5 MB value travels by reference
 * (LARGE_VALUES Object Store) and every reader gets the value: the agent-state projection and its
 * rebuild (PostgreSQL rows hold the value), the event archive, the history fold, subscriptions, a
 * backup restored into another namespace, and erasure removes the agent's objects.
 */
import { PassThrough, Readable } from 'node:stream';
import { readAgentAt } from '@mister-smith/actors';
import { createStateStore, JetStreamLargeValues, subscribe, type SubscriptionItem } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { backupNamespace, eraseAgent, restoreNamespace } from '@mister-smith/governance';
import { agentStateProjection, createProjectionHost, eventArchiveProjection, streamSubjects } from '@mister-smith/projections';
import { waitCaughtUp } from '@mister-smith/projections/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';

const big = (tag: string) => ({ tag, text: `${tag}:`.padEnd(5_000_000, 'x') });
const objectNames = async (env: TestEnv) => (await JetStreamLargeValues.of(env.nats, env.topology.objects.largeValues).list()).map((o) => o.name).sort();

describe('large values by reference, end to end', () => {
  it('a 5 MB value is projected into PostgreSQL, survives a rebuild, is archived and folded, reaches subscribers, is backed up and restored, and is erased', async () => {
    await using env = await startTestEnv();
    await using host = createProjectionHost(env, [
      agentStateProjection({ kv: await env.bucket('agentState') }),
      eventArchiveProjection('agentState', streamSubjects(env.topology, 'agentState')),
    ], { lockPollMs: 100 });
    await host.start();
    const v1 = big('v1');
    const store = await createStateStore(env, { writerId: 'w1' });
    let first: number;
    try {
      first = (await store.write('big', 'doc', v1)).version.seq;
      await store.write('big', 'note', 'small');
      await store.write('other', 'doc', big('other'));
    } finally {
      await store.close();
    }
    await waitCaughtUp(host);

    // The projection: the row holds the value itself.
    const row = async () => (await sql<{ state_value: unknown; version: string }>`SELECT state_value, version FROM agents.state WHERE agent_id = 'big' AND state_key = 'doc'`.execute(env.pg.db)).rows[0];
    expect((await row())?.state_value).toEqual(v1);
    // The archive: the envelope with the value in place (the object expires after the event does).
    const archived = (await sql<{ envelope: { data: { value: unknown; ref?: { object: string } } } }>`
      SELECT envelope FROM mister_smith.event_archive WHERE seq = ${first}`.execute(env.pg.db)).rows[0]!;
    expect(archived.envelope.data.value).toEqual(v1);
    expect(archived.envelope.data.ref?.object.startsWith('big/doc/')).toBe(true);

    // A rebuild of agents.state (from the archive and the stream) gives the same row, and a fresh
    // store without L1 reads it from PostgreSQL after KV lost it.
    await host.rebuild('agent-state');
    expect((await row())?.state_value).toEqual(v1);
    await (await env.bucket('agentState')).delete('big.doc');
    const reader = await createStateStore(env, { cache: { maxEntries: 0 } });
    let second: number;
    try {
      expect(await reader.read('big', 'doc')).toEqual(v1);
      // A later small write; history at the first revision folds the large value back.
      second = (await reader.write('big', 'doc', { tag: 'v2' })).version.seq;
    } finally {
      await reader.close();
    }
    await waitCaughtUp(host);
    // Backup and restore into another namespace: the objects come along, the reference in KV works there.
    const file = new PassThrough();
    const chunks: Buffer[] = [];
    file.on('data', (c: Buffer) => chunks.push(c));
    const summary = await backupNamespace(env, file);
    file.end();
    expect(summary.messages['obj:largeValues']).toBeGreaterThan(0);
    await using restored = await startTestEnv();
    await restoreNamespace(restored, Readable.from(Buffer.concat(chunks)));
    expect(await objectNames(restored)).toEqual(await objectNames(env));
    const there = await createStateStore(restored, { cache: { maxEntries: 0 } });
    try {
      expect(await there.read('other', 'doc')).toEqual(big('other'));
      expect((await there.hydrateAgent('big')).values).toEqual({ doc: { tag: 'v2' }, note: 'small' });
    } finally {
      await there.close();
    }

    // The stream keeps only the last write: the first one is in the archive only.
    await env.nats.jsm.streams.purge(env.logs.agentState.stream, { seq: second });
    const at = await readAgentAt({ log: env.logs.agentState, pg: env.pg }, 'big', first);
    expect(at.state).toEqual({ doc: v1 });
    expect(at.sources.archive).toBeGreaterThan(0);
    expect((await readAgentAt({ log: env.logs.agentState, pg: env.pg }, 'big', second)).state).toEqual({ doc: { tag: 'v2' }, note: 'small' });

    // A subscriber gets the value, not the reference (from the archive, then the stream).
    const sub = subscribe(env.logs.agentState, { agentId: 'big', types: ['StateChanged'], from: 'start', archive: env.pg });
    const seen: SubscriptionItem[] = [];
    for await (const item of sub) { if (item.kind === 'caught-up') break; seen.push(item); }
    await sub.stop();
    const docs = seen.flatMap((i) => (i.kind === 'event' && (i.record.event.data as { key: string }).key === 'doc' ? [(i.record.event.data as { value: { tag: string } }).value.tag] : []));
    expect(docs).toEqual(['v1', 'v2']);

    // Erasure removes the agent's objects (chunks and metadata) and nobody else's.
    expect((await objectNames(env)).some((n) => n.startsWith('big/'))).toBe(true);
    const report = await eraseAgent(env, 'big');
    expect(report.nats[`OBJ_${env.topology.objects.largeValues.bucket}`]).toBeGreaterThanOrEqual(1);
    const left = await objectNames(env);
    expect(left.some((n) => n.startsWith('big/'))).toBe(false);
    expect(left.some((n) => n.startsWith('other/'))).toBe(true);
    const meta = await env.nats.jsm.streams.info(`OBJ_${env.topology.objects.largeValues.bucket}`, { subjects_filter: '>' });
    expect(Object.keys(meta.state.subjects ?? {}).some((s) => Buffer.from(s.split('.').pop()!.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString().startsWith('big/'))).toBe(false);
  }, 180_000);
});
