import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { startTestEnv, type TestEnv } from '../testing/index.js';
import { provision } from './provision.js';
import { buildTopology } from '../config/topology.js';

/** Every stream and durable consumer a namespace's topology should have on the server. */
function expectedResources(env: TestEnv) {
  const t = env.topology;
  const streams = Object.values(t.streams).map((s) => s.name);
  const buckets = [...Object.values(t.buckets).map((b) => `KV_${b.bucket}`), ...Object.values(t.objects).map((o) => `OBJ_${o.bucket}`)];
  const consumers = [t.consumers.taskProcessor, t.consumers.taskDispatcher, t.consumers.batchProcessor, t.consumers.taskFeed].map((c) => `${c.stream}/${c.name ?? ''}`);
  return { streams, buckets, consumers, all: [...streams, ...buckets, ...consumers] };
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  throw new Error('expected the promise to reject');
}

describe('provision', () => {
  it('lowers a bucket TTL in place (the lease duration), duplicate window included', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 15, migrate: false });
    const shorter = buildTopology({ namespace: env.namespace, profile: 'test', leaseTtlSeconds: 3 });
    const r = await provision(env.nats, shorter);
    const name = `KV_${shorter.buckets.agentLeases.bucket}`;
    expect(r.updated.map((u) => u.name)).toEqual([name]);
    const info = await env.nats.jsm.streams.info(name);
    expect(info.config.max_age).toBe(nanos(3000));
    expect(info.config.duplicate_window).toBe(nanos(3000));
  });

  it('creates every stream, bucket and consumer on the first run and changes nothing on the second', async () => {
    await using env = await startTestEnv({ provision: false, migrate: false });
    const want = expectedResources(env);
    const ns = env.namespace.toUpperCase();
    expect(want.streams).toEqual([`${ns}_AGENT_STATE`, `${ns}_TASK_EXECUTION`, `${ns}_AGENT_MESSAGES`]);
    expect(want.buckets).toEqual([...['SESSION_DATA', 'AGENT_STATE', 'AGENT_CONFIG', 'QUERY_CACHE', 'AGENT_LEASES'].map((b) => `KV_${ns}_${b}`), `OBJ_${ns}_LARGE_VALUES`]);

    const first = await provision(env.nats, env.topology);
    expect([...first.created].sort()).toEqual([...want.all].sort());
    expect(first.updated).toEqual([]);
    expect(first.unchanged).toEqual([]);
    expect(first.ignoredByServer).toEqual([]);

    // What the server now holds, read back independently of the report.
    const onServer: string[] = [];
    for await (const name of env.nats.jsm.streams.names()) if (name.includes(ns)) onServer.push(name);
    expect(onServer.sort()).toEqual([...want.streams, ...want.buckets].sort());
    const agentState = await env.nats.jsm.streams.info(env.topology.streams.agentState.name);
    expect(agentState.config).toMatchObject({
      subjects: [`${env.namespace}.agents.state.>`, `${env.namespace}.agents.lifecycle.>`, `${env.namespace}.agents.heartbeat.>`],
      max_age: nanos(1800 * 1000), max_msg_size: 1024 * 1024, duplicate_window: nanos(300 * 1000), storage: StorageType.File,
    });
    const tasks = await env.nats.jsm.streams.info(env.topology.streams.taskExecution.name);
    expect(tasks.config.retention).toBe(RetentionPolicy.Interest);
    const cfgBucket = await env.nats.jsm.streams.info(`KV_${env.topology.buckets.agentConfig.bucket}`);
    expect(cfgBucket.config.max_msgs_per_subject).toBe(10);
    // The large-value Object Store: objects outlive the events and KV entries that refer to them.
    const objects = await env.nats.jsm.streams.info(`OBJ_${env.topology.objects.largeValues.bucket}`);
    expect(objects.config).toMatchObject({ subjects: [`$O.${ns}_LARGE_VALUES.C.>`, `$O.${ns}_LARGE_VALUES.M.>`], max_age: nanos((1800 + 1800 + 600) * 1000), allow_rollup_hdrs: true });
    const consumer = await env.nats.jsm.consumers.info(env.topology.consumers.taskProcessor.stream, 'task-processor');
    expect(consumer.config).toMatchObject({ durable_name: 'task-processor', max_deliver: 3, max_ack_pending: 100, filter_subject: `${env.namespace}.tasks.started.>` });

    const second = await provision(env.nats, env.topology);
    expect(second.created).toEqual([]);
    expect(second.updated).toEqual([]);
    expect([...second.unchanged].sort()).toEqual([...want.all].sort());
  });

  it('reports a drifted stream as updated, with the drifted fields, and puts the config back', async () => {
    await using env = await startTestEnv({ migrate: false });
    const name = env.topology.streams.agentState.name;
    const before = await env.nats.jsm.streams.info(name);
    await env.nats.jsm.streams.update(name, { ...before.config, max_msgs: 5, description: 'edited by hand' });
    expect((await env.nats.jsm.streams.info(name)).config.max_msgs).toBe(5);

    const report = await provision(env.nats, env.topology);
    expect(report.updated).toEqual([{ name, fields: expect.arrayContaining(['max_msgs', 'description']) as unknown as string[] }]);
    expect(report.updated[0]?.fields).toHaveLength(2);
    expect(report.created).toEqual([]);
    expect(report.unchanged).not.toContain(name);
    const after = await env.nats.jsm.streams.info(name);
    expect(after.config.max_msgs).toBe(1_000_000);
    expect(after.config.description).toBe(env.topology.streams.agentState.description);

    const again = await provision(env.nats, env.topology);
    expect(again.updated).toEqual([]);
    expect(again.unchanged).toContain(name);
  });

  it('reports a drifted bucket and a drifted consumer as updated and fixes them', async () => {
    await using env = await startTestEnv({ migrate: false });
    const bucketStream = `KV_${env.topology.buckets.agentConfig.bucket}`;
    const b = await env.nats.jsm.streams.info(bucketStream);
    await env.nats.jsm.streams.update(bucketStream, { ...b.config, max_msgs_per_subject: 2 });
    const { stream, name } = env.topology.consumers.taskProcessor;
    await env.nats.jsm.consumers.update(stream, name!, { max_deliver: 9 });

    const report = await provision(env.nats, env.topology);
    expect(report.updated).toEqual(expect.arrayContaining([
      { name: bucketStream, fields: ['max_msgs_per_subject'] },
      { name: `${stream}/${name}`, fields: ['max_deliver'] },
    ]));
    expect(report.updated).toHaveLength(2);
    expect((await env.nats.jsm.streams.info(bucketStream)).config.max_msgs_per_subject).toBe(10);
    expect((await env.nats.jsm.consumers.info(stream, name!)).config.max_deliver).toBe(3);
  });

  it('refuses to take over subjects another stream owns with PROVISIONING_CONFLICT naming that stream', async () => {
    await using env = await startTestEnv({ provision: false, migrate: false });
    const intruder = `${env.namespace.toUpperCase()}_INTRUDER`;
    await env.nats.jsm.streams.add({ name: intruder, subjects: [`${env.namespace}.agents.state.>`], storage: StorageType.Memory });
    try {
      const err = await errorOf(provision(env.nats, env.topology));
      expect(MisterSmithError.is(err, 'PROVISIONING_CONFLICT')).toBe(true);
      const e = err as MisterSmithError;
      expect(e.details).toMatchObject({ stream: env.topology.streams.agentState.name, owners: [intruder] });
      expect(e.message).toContain(intruder);
      // Nothing was papered over: the other stream still owns its subjects, ours was not created.
      expect((await env.nats.jsm.streams.info(intruder)).config.subjects).toEqual([`${env.namespace}.agents.state.>`]);
      expect(await env.nats.jsm.streams.find(`${env.namespace}.agents.state.a1`)).toBe(intruder);
    } finally {
      await env.nats.jsm.streams.delete(intruder);
    }
    // Once the conflict is resolved, provisioning goes through.
    const report = await provision(env.nats, env.topology);
    expect(report.created).toContain(env.topology.streams.agentState.name);
  });

  it('refuses an existing stream whose storage cannot be changed in place with PROVISIONING_CONFLICT', async () => {
    await using env = await startTestEnv({ provision: false, migrate: false });
    const spec = env.topology.streams.agentState;
    await env.nats.jsm.streams.add({ name: spec.name, subjects: [...spec.subjects], storage: StorageType.Memory });
    const err = await errorOf(provision(env.nats, env.topology));
    expect(MisterSmithError.is(err, 'PROVISIONING_CONFLICT')).toBe(true);
    expect((err as MisterSmithError).details).toEqual({ stream: spec.name, fields: ['storage'] });
    expect((err as MisterSmithError).message).toMatch(/memory -> file/);
    // The existing stream is left as it was, not deleted and recreated.
    expect((await env.nats.jsm.streams.info(spec.name)).config.storage).toBe(StorageType.Memory);
  });

  it('refuses an existing stream with another retention policy with PROVISIONING_CONFLICT', async () => {
    await using env = await startTestEnv({ provision: false, migrate: false });
    const spec = env.topology.streams.taskExecution;
    await env.nats.jsm.streams.add({ name: spec.name, subjects: [...spec.subjects], retention: RetentionPolicy.Limits, storage: StorageType.File, max_bytes: 1024 * 1024 });
    const err = await errorOf(provision(env.nats, env.topology));
    expect(MisterSmithError.is(err, 'PROVISIONING_CONFLICT')).toBe(true);
    expect((err as MisterSmithError).details).toMatchObject({ stream: spec.name, fields: ['retention'] });
    expect((await env.nats.jsm.streams.info(spec.name)).config.retention).toBe(RetentionPolicy.Limits);
  });

  it('says which features this server lacks instead of failing, and leaves them off', async () => {
    await using env = await startTestEnv({ provision: false, migrate: false });
    const report = await provision(env.nats, env.topology);
    expect(env.nats.gates.version).toMatch(/^2\.9\./);
    expect(report.disabledFeatures.some((d) => /compression/i.test(d))).toBe(true);
    const kvState = await env.nats.jsm.streams.info(`KV_${env.topology.buckets.agentState.bucket}`);
    expect((kvState.config as unknown as Record<string, unknown>).compression ?? 'none').toBe('none');
    expect(kvState.config.max_msgs_per_subject).toBe(5);
  });

  it('caps the seed replicas (3) to 1 on a single server', async () => {
    await using env = await startTestEnv({ provision: false, migrate: false });
    expect(env.nats.clusterSize).toBe(1);
    await provision(env.nats, env.topology);
    const { streams, buckets } = expectedResources(env);
    for (const name of [...streams, ...buckets]) {
      expect((await env.nats.jsm.streams.info(name)).config.num_replicas, name).toBe(1);
    }
    expect(env.topology.streams.agentState.replicas).toBe(1);
    expect(env.topology.buckets.agentConfig.replicas).toBe(1);
  });
});
