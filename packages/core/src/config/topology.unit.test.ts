import { describe, expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { buildTopology, namespacedName, namespacedSubject } from './topology.js';

const MB = 1024 * 1024;

describe('buildTopology (seed 6.1-6.3)', () => {
  const t = buildTopology();

  it('keeps the seed stream names, subjects and limits without a namespace', () => {
    const s = t.streams;
    expect(t.namespace).toBeUndefined();
    expect(s.agentState).toMatchObject({
      name: 'AGENT_STATE', subjects: ['agents.state.>', 'agents.lifecycle.>', 'agents.heartbeat.>'],
      storage: 'file', retention: 'limits', maxAgeSeconds: 1800, maxMsgs: 1_000_000, maxBytes: 1024 * MB, maxMsgSize: 1 * MB,
      discard: 'old', duplicateWindowSeconds: 300, allowRollupHdrs: true,
    });
    expect(s.taskExecution).toMatchObject({
      name: 'TASK_EXECUTION', retention: 'interest', maxAgeSeconds: 86_400, maxMsgs: 10_000_000, maxMsgSize: 5 * MB,
      duplicateWindowSeconds: 120,
    });
    expect([...s.taskExecution.subjects].sort()).toEqual(
      ['cancelled', 'completed', 'created', 'failed', 'started', 'updated'].map((p) => `tasks.${p}.>`).sort());
    expect(s.agentMessages).toMatchObject({
      name: 'AGENT_MESSAGES', subjects: ['messages.direct.>', 'messages.broadcast.>', 'messages.notification.>'],
      storage: 'memory', maxAgeSeconds: 300, maxMsgs: 100_000, maxMsgSize: 256 * 1024,
    });
  });

  it('keeps the seed buckets: TTLs, history and storage', () => {
    const b = t.buckets;
    expect(b.session).toMatchObject({ bucket: 'SESSION_DATA', ttlSeconds: 3600, history: 1, storage: 'file' });
    expect(b.agentState).toMatchObject({ bucket: 'AGENT_STATE', ttlSeconds: 1800, history: 5, storage: 'file', compression: 's2', maxValueSize: 1 * MB });
    expect(b.agentConfig).toMatchObject({ bucket: 'AGENT_CONFIG', ttlSeconds: 0, history: 10, storage: 'file' });
    expect(b.queryCache).toMatchObject({ bucket: 'QUERY_CACHE', ttlSeconds: 300, history: 1, storage: 'memory' });
    expect(b.agentLeases).toMatchObject({ bucket: 'AGENT_LEASES', ttlSeconds: 15, history: 1 });
    expect(buildTopology({ leaseTtlSeconds: 42 }).buckets.agentLeases.ttlSeconds).toBe(42);
  });

  it('keeps the seed consumers, with the rate limit left to the client', () => {
    const c = t.consumers;
    expect(c.taskProcessor).toMatchObject({
      stream: 'TASK_EXECUTION', name: 'task-processor', deliverPolicy: 'all', ackPolicy: 'explicit', ackWaitSeconds: 30,
      maxDeliver: 3, maxAckPending: 100, filterSubject: 'tasks.started.>', rateLimitPerSecond: 1000,
    });
    expect(c.monitoring).toMatchObject({ stream: 'AGENT_STATE', deliverPolicy: 'last', ackPolicy: 'none' });
    expect(c.monitoring.name).toBeUndefined();
    expect(c.batchProcessor).toMatchObject({ stream: 'AGENT_MESSAGES', name: 'message-batch-processor', maxDeliver: 5, maxBatch: 100 });
  });

  it('shrinks byte reservations in the test profile only', () => {
    const test = buildTopology({ profile: 'test' });
    expect(test.streams.agentState.maxBytes).toBe(64 * MB);
    expect(test.streams.taskExecution.maxBytes).toBe(64 * MB);
    expect(test.streams.agentState.maxAgeSeconds).toBe(1800);
    expect(t.streams.taskExecution.maxBytes).toBe(10_240 * MB);
  });

  it('names streams NS_<NAME>, buckets NS_<BUCKET> and subjects ns.<subject> under a namespace', () => {
    const n = buildTopology({ namespace: 'ns' });
    expect(n.namespace).toBe('ns');
    expect(n.streams.agentState.name).toBe('NS_AGENT_STATE');
    expect(n.streams.agentState.subjects).toContain('ns.agents.state.>');
    expect(n.streams.taskExecution.subjects.every((s) => s.startsWith('ns.tasks.'))).toBe(true);
    expect(n.buckets.agentConfig.bucket).toBe('NS_AGENT_CONFIG');
    // Large values: an Object Store bucket whose objects outlive every event and KV entry that refers to them.
    expect(n.objects.largeValues).toMatchObject({ bucket: 'NS_LARGE_VALUES', maxAgeSeconds: 1800 + 1800 + 600, maxBytes: 1024 * MB });
    expect(buildTopology({ namespace: 'ns', profile: 'test' }).objects.largeValues.maxBytes).toBe(64 * MB);
    expect(n.consumers.taskProcessor).toMatchObject({ stream: 'NS_TASK_EXECUTION', filterSubject: 'ns.tasks.started.>' });
    expect(namespacedName('ns', 'X')).toBe('NS_X');
    expect(namespacedName(undefined, 'X')).toBe('X');
    expect(namespacedSubject('ns', 'a.b')).toBe('ns.a.b');
    expect(namespacedSubject(undefined, 'a.b')).toBe('a.b');
    expect(buildTopology({ namespace: '' }).streams.agentState.name).toBe('AGENT_STATE');
  });

  it('caps the seed replicas (3) by the cluster size', () => {
    expect(t.streams.agentState.replicas).toBe(1);
    expect(buildTopology({ clusterSize: 2 }).streams.agentState.replicas).toBe(2);
    const big = buildTopology({ clusterSize: 5 });
    expect(big.streams.agentState.replicas).toBe(3);
    expect(big.streams.taskExecution.replicas).toBe(3);
    expect(big.buckets.agentConfig.replicas).toBe(3);
    // Memory-backed resources stay at one replica as in the seed.
    expect(big.streams.agentMessages.replicas).toBe(1);
    expect(big.buckets.queryCache.replicas).toBe(1);
  });

  it('sends placement only when a cluster is configured', () => {
    const all = (x: ReturnType<typeof buildTopology>) => [...Object.values(x.streams), ...Object.values(x.buckets)];
    expect(all(t).every((r) => r.placement === undefined)).toBe(true);
    const placed = buildTopology({ placementCluster: 'east' });
    expect(all(placed).every((r) => r.placement?.cluster === 'east')).toBe(true);
    expect(placed.streams.agentState.placement?.tags).toEqual(['agent-state']);
  });

  it('refuses invalid options with INVALID_CONFIG', () => {
    for (const o of [{ namespace: 'Bad-NS' }, { clusterSize: 0 }, { clusterSize: 1.5 }, { leaseTtlSeconds: 0 }]) {
      try { buildTopology(o); expect.unreachable(); } catch (e) { expect(MisterSmithError.is(e, 'INVALID_CONFIG')).toBe(true); }
    }
  });
});
