import { assertNamespace } from './identifiers.js';
import { msError } from '../errors/MisterSmithError.js';

/** A JetStream stream as seed section 6.1 describes it. Durations are in seconds, sizes in bytes. */
export interface StreamSpec {
  readonly name: string;
  readonly description: string;
  readonly subjects: readonly string[];
  readonly storage: 'file' | 'memory';
  readonly retention: 'limits' | 'interest' | 'workqueue';
  readonly maxAgeSeconds: number;
  readonly maxMsgs: number;
  readonly maxBytes: number;
  readonly maxMsgSize: number;
  readonly replicas: number;
  readonly placement?: { readonly cluster?: string; readonly tags?: readonly string[] };
  readonly discard: 'old' | 'new';
  readonly duplicateWindowSeconds: number;
  readonly allowRollupHdrs: boolean;
  readonly denyDelete: boolean;
  readonly denyPurge: boolean;
}

/** A KV bucket as seed section 6.2 describes it (`ttlSeconds: 0` means no expiry). */
export interface BucketSpec {
  readonly bucket: string;
  readonly description: string;
  readonly ttlSeconds: number;
  readonly storage: 'file' | 'memory';
  readonly replicas: number;
  readonly history: number;
  readonly placement?: { readonly cluster?: string; readonly tags?: readonly string[] };
  readonly allowDirect: boolean;
  /** Seed asks for s2 on AGENT_STATE; stream compression needs nats-server 2.10 (feature-gated). */
  readonly compression?: 's2';
  readonly maxBytes?: number;
  readonly maxValueSize?: number;
}

/**
 * The JetStream Object Store bucket that holds state values too large to travel inline (ARCHITECTURE
 * point 9). Its stream is `OBJ_<bucket>`. Objects expire after `maxAgeSeconds` (0: never): longer
 * than any `StateChanged` event or KV entry that can refer to one (the stream's `max_age` plus the
 * KV TTL plus a margin), while PostgreSQL rows and the event archive hold the values themselves.
 */
export interface ObjectStoreSpec {
  readonly bucket: string;
  readonly description: string;
  readonly storage: 'file' | 'memory';
  readonly replicas: number;
  readonly maxAgeSeconds: number;
  readonly maxBytes: number;
  readonly placement?: { readonly cluster?: string; readonly tags?: readonly string[] };
}

/** A consumer as seed section 6.3 describes it. `name: undefined` means ephemeral. */
export interface ConsumerSpec {
  readonly stream: string;
  readonly name?: string;
  readonly description: string;
  readonly deliverPolicy: 'all' | 'last' | 'new' | 'by_start_sequence' | 'by_start_time' | 'last_per_subject';
  readonly ackPolicy: 'explicit' | 'none' | 'all';
  readonly ackWaitSeconds?: number;
  readonly maxDeliver: number;
  /** Messages per second; enforced in the client (2.9 refuses rate_limit on pull consumers). */
  readonly rateLimitPerSecond?: number;
  readonly maxAckPending?: number;
  readonly filterSubject?: string;
  readonly replayPolicy: 'instant' | 'original';
  readonly startSequence?: number;
  readonly maxBatch?: number;
  readonly maxExpiresSeconds?: number;
  readonly maxBytes?: number;
}

/** Streams, buckets and consumers of one deployment, with names already namespaced. */
export interface Topology {
  readonly namespace: string | undefined;
  readonly streams: { readonly agentState: StreamSpec; readonly taskExecution: StreamSpec; readonly agentMessages: StreamSpec };
  readonly buckets: {
    readonly session: BucketSpec;
    readonly agentState: BucketSpec;
    readonly agentConfig: BucketSpec;
    readonly queryCache: BucketSpec;
    readonly agentLeases: BucketSpec;
  };
  /** Object Store buckets: `largeValues` holds state values over the inline limit, by reference. */
  readonly objects: { readonly largeValues: ObjectStoreSpec };
  readonly consumers: {
    readonly taskProcessor: ConsumerSpec;
    /**
     * Durable consumer of `tasks.created.>` that dispatches created tasks (marks them running).
     * Provisioned with the streams: on the interest-retention stream a `tasks.created` published
     * before it existed was deleted once the task projection had it, and its task stayed pending.
     */
    readonly taskDispatcher: ConsumerSpec;
    readonly monitoring: ConsumerSpec;
    readonly batchProcessor: ConsumerSpec;
    /**
     * Durable, unfiltered consumer of TASK_EXECUTION read by the task projection. Interest retention
     * deletes a message nobody is interested in on arrival, so this consumer keeps every task event
     * (created, completed, ...) until the projection has it, even while no projector runs.
     */
    readonly taskFeed: ConsumerSpec;
  };
}

/** `production` is the seed's limits; `test` shrinks reservations so many namespaces fit one server. */
export type TopologyProfile = 'production' | 'test';

export interface TopologyOptions {
  readonly namespace?: string | undefined;
  readonly profile?: TopologyProfile;
  /** Seed replicas are 3; pass the cluster size so they are capped (`min(3, clusterSize)`). */
  readonly clusterSize?: number;
  /** Seed placement names cluster "nats-cluster": it is only sent when configured. */
  readonly placementCluster?: string;
  /** Lease TTL for AGENT_LEASES, seconds (default 15). */
  readonly leaseTtlSeconds?: number;
  /** Storage reserved for the LARGE_VALUES object store, bytes (default 1 GiB; the test profile 64 MiB). */
  readonly largeValuesMaxBytes?: number;
}

/** Prefixes a stream or bucket name with the namespace: `ns` + `AGENT_STATE` -> `NS_AGENT_STATE`. */
export function namespacedName(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace.toUpperCase()}_${name}` : name;
}

/** Prefixes a subject with the namespace: `ns` + `agents.state.a1` -> `ns.agents.state.a1`. */
export function namespacedSubject(namespace: string | undefined, subject: string): string {
  return namespace ? `${namespace}.${subject}` : subject;
}

const MB = 1024 * 1024;

/** The name of a namespace's large-value Object Store bucket: `NS_LARGE_VALUES` (stream `OBJ_NS_LARGE_VALUES`). */
export function largeValuesBucketName(namespace: string | undefined): string {
  return namespacedName(namespace, 'LARGE_VALUES');
}

/** Seconds beyond the stream's max_age and the KV TTL that a large value's object outlives them. */
const LARGE_VALUE_MARGIN_SECONDS = 600;

/** Builds the seed topology (sections 6.1-6.3), namespaced and sized for the profile. */
export function buildTopology(options: TopologyOptions = {}): Topology {
  const ns = options.namespace === undefined || options.namespace === '' ? undefined : assertNamespace(options.namespace);
  const test = (options.profile ?? 'production') === 'test';
  const clusterSize = options.clusterSize ?? 1;
  if (!Number.isInteger(clusterSize) || clusterSize < 1) throw msError('INVALID_CONFIG', `clusterSize must be a positive integer, got ${clusterSize}`);
  const replicas = (n: number) => Math.min(n, clusterSize);
  const placement = (tag: string) => (options.placementCluster ? { cluster: options.placementCluster, tags: [tag] } : undefined);
  const name = (n: string) => namespacedName(ns, n);
  const subj = (s: string) => namespacedSubject(ns, s);
  const leaseTtl = options.leaseTtlSeconds ?? 15;
  if (!(leaseTtl >= 1)) throw msError('INVALID_CONFIG', `leaseTtlSeconds must be >= 1, got ${leaseTtl}`);

  const agentState: StreamSpec = {
    name: name('AGENT_STATE'), description: 'Real-time agent state updates and synchronization',
    subjects: ['agents.state.>', 'agents.lifecycle.>', 'agents.heartbeat.>'].map(subj),
    storage: 'file', retention: 'limits', maxAgeSeconds: 1800, maxMsgs: 1_000_000,
    maxBytes: test ? 64 * MB : 1024 * MB, maxMsgSize: 1 * MB, replicas: replicas(3), placement: placement('agent-state'),
    discard: 'old', duplicateWindowSeconds: 300, allowRollupHdrs: true, denyDelete: false, denyPurge: false,
  };
  const taskExecution: StreamSpec = {
    name: name('TASK_EXECUTION'), description: 'Task lifecycle events and execution tracking',
    subjects: ['created', 'started', 'completed', 'failed', 'cancelled', 'updated'].map((p) => subj(`tasks.${p}.>`)),
    storage: 'file', retention: 'interest', maxAgeSeconds: 86_400, maxMsgs: 10_000_000,
    maxBytes: test ? 64 * MB : 10_240 * MB, maxMsgSize: 5 * MB, replicas: replicas(3), placement: placement('task-execution'),
    discard: 'old', duplicateWindowSeconds: 120, allowRollupHdrs: false, denyDelete: false, denyPurge: false,
  };
  const agentMessages: StreamSpec = {
    name: name('AGENT_MESSAGES'), description: 'Inter-agent communication and messaging',
    subjects: ['messages.direct.>', 'messages.broadcast.>', 'messages.notification.>'].map(subj),
    storage: 'memory', retention: 'limits', maxAgeSeconds: 300, maxMsgs: 100_000,
    maxBytes: test ? 16 * MB : 100 * MB, maxMsgSize: 256 * 1024, replicas: 1, placement: placement('messaging'),
    discard: 'old', duplicateWindowSeconds: 120, allowRollupHdrs: false, denyDelete: false, denyPurge: false,
  };
  const bucket = (b: Omit<BucketSpec, 'bucket'> & { bucket: string }): BucketSpec => ({ ...b, bucket: name(b.bucket) });
  const agentStateTtl: number = 1800;
  const largeValuesMaxBytes = options.largeValuesMaxBytes ?? (test ? 64 * MB : 1024 * MB);
  if (!Number.isInteger(largeValuesMaxBytes) || largeValuesMaxBytes < 1) throw msError('INVALID_CONFIG', `largeValuesMaxBytes must be a positive integer, got ${largeValuesMaxBytes}`);
  const largeValues: ObjectStoreSpec = {
    bucket: largeValuesBucketName(ns), description: 'State values too large for an event or a KV entry, by reference',
    storage: 'file', replicas: replicas(3), maxBytes: largeValuesMaxBytes, placement: placement('agent-state'),
    // An object outlives every event and KV entry that can refer to it: an event lives max_age, and a
    // KV entry written from it (by the projection or a hydration) the KV TTL after that.
    maxAgeSeconds: agentState.maxAgeSeconds === 0 || agentStateTtl === 0 ? 0 : agentState.maxAgeSeconds + agentStateTtl + LARGE_VALUE_MARGIN_SECONDS,
  };
  return {
    namespace: ns,
    streams: { agentState, taskExecution, agentMessages },
    objects: { largeValues },
    buckets: {
      session: bucket({ bucket: 'SESSION_DATA', description: 'Temporary user and agent session storage', ttlSeconds: 3600, storage: 'file', replicas: replicas(3), history: 1, placement: placement('session-data'), allowDirect: true }),
      agentState: bucket({ bucket: 'AGENT_STATE', description: 'Fast access agent state cache', ttlSeconds: agentStateTtl, storage: 'file', replicas: replicas(3), history: 5, placement: placement('agent-state'), allowDirect: true, compression: 's2', maxValueSize: 1 * MB }),
      agentConfig: bucket({ bucket: 'AGENT_CONFIG', description: 'Agent configuration and persistent settings', ttlSeconds: 0, storage: 'file', replicas: replicas(3), history: 10, placement: placement('configuration'), allowDirect: true }),
      queryCache: bucket({ bucket: 'QUERY_CACHE', description: 'Temporary query result cache', ttlSeconds: 300, storage: 'memory', replicas: 1, history: 1, placement: placement('cache'), allowDirect: true }),
      agentLeases: bucket({ bucket: 'AGENT_LEASES', description: 'Agent ownership leases (TTL = lease duration)', ttlSeconds: leaseTtl, storage: 'file', replicas: replicas(3), history: 1, placement: placement('agent-state'), allowDirect: false }),
    },
    consumers: {
      taskProcessor: {
        stream: taskExecution.name, name: 'task-processor', description: 'Processes task execution events',
        deliverPolicy: 'all', ackPolicy: 'explicit', ackWaitSeconds: 30, maxDeliver: 3, rateLimitPerSecond: 1000,
        maxAckPending: 100, filterSubject: subj('tasks.started.>'), replayPolicy: 'instant',
      },
      taskDispatcher: {
        stream: taskExecution.name, name: 'task-dispatcher', description: 'Marks created tasks running',
        deliverPolicy: 'all', ackPolicy: 'explicit', ackWaitSeconds: 30, maxDeliver: 10, rateLimitPerSecond: 1000,
        maxAckPending: 100, filterSubject: subj('tasks.created.>'), replayPolicy: 'instant',
      },
      monitoring: {
        stream: agentState.name, description: 'Real-time monitoring of agent state changes',
        deliverPolicy: 'last', ackPolicy: 'none', replayPolicy: 'instant', maxDeliver: 1, ackWaitSeconds: 5,
      },
      batchProcessor: {
        stream: agentMessages.name, name: 'message-batch-processor', description: 'Batch processing of agent messages',
        deliverPolicy: 'all', ackPolicy: 'explicit', ackWaitSeconds: 60, maxDeliver: 5, replayPolicy: 'instant',
        maxBatch: 100, maxExpiresSeconds: 30, maxBytes: 1 * MB,
      },
      taskFeed: {
        stream: taskExecution.name, name: 'task-projection', description: 'Every task event, for the task projection',
        deliverPolicy: 'all', ackPolicy: 'explicit', ackWaitSeconds: 30, maxDeliver: -1, maxAckPending: 1000, replayPolicy: 'instant',
      },
    },
  };
}
