import { namespacedName, namespacedSubject, type BucketSpec, type StreamSpec } from '@mister-smith/core';

/** The JetStream resources of the LangGraph adapter: one stream of checkpoint events and one KV bucket of hot entries. */
export interface LangGraphTopology {
  readonly namespace: string | undefined;
  /** `LANGGRAPH`: `langgraph.c.<thread>.<ns>` (checkpoints) and `langgraph.w.<thread>.<ns>` (pending writes). */
  readonly stream: StreamSpec;
  /** `LANGGRAPH`: `c.<thread>.<ns>` (latest checkpoint of a thread namespace), `s.<ns...>.<key>` (store items). */
  readonly bucket: BucketSpec;
}

/** Options of `langGraphTopology`. */
export interface LangGraphTopologyOptions {
  readonly namespace?: string | undefined;
  /** `test` shrinks the stream's storage reservation. */
  readonly profile?: 'production' | 'test';
  readonly clusterSize?: number;
  /** How long the stream keeps checkpoint events (the window in which a crashed writer's events are replayed into PostgreSQL). Default 1800 s. */
  readonly retentionSeconds?: number;
}

const MB = 1024 * 1024;

/**
 * The stream and bucket specs, named like the rest of a namespace (`NS_LANGGRAPH`, subjects
 * `ns.langgraph.>`). Retention mirrors AGENT_STATE: the stream is the commit point and the recent
 * history; PostgreSQL keeps every checkpoint.
 */
export function langGraphTopology(options: LangGraphTopologyOptions = {}): LangGraphTopology {
  const ns = options.namespace === '' ? undefined : options.namespace;
  const test = options.profile === 'test';
  const replicas = Math.min(3, options.clusterSize ?? 1);
  const retention = options.retentionSeconds ?? 1800;
  return {
    namespace: ns,
    stream: {
      name: namespacedName(ns, 'LANGGRAPH'), description: 'LangGraph checkpoints and pending writes (Mister Smith saver)',
      subjects: [namespacedSubject(ns, 'langgraph.>')], storage: 'file', retention: 'limits', maxAgeSeconds: retention,
      maxMsgs: 1_000_000, maxBytes: test ? 64 * MB : 1024 * MB, maxMsgSize: 1 * MB, replicas, discard: 'old',
      duplicateWindowSeconds: Math.min(300, retention), allowRollupHdrs: false, denyDelete: false, denyPurge: false,
    },
    bucket: {
      bucket: namespacedName(ns, 'LANGGRAPH'), description: 'Latest LangGraph checkpoints and store items (hot cache)',
      ttlSeconds: retention, storage: 'file', replicas, history: 1, allowDirect: true, maxValueSize: 1 * MB,
      ...(test ? { maxBytes: 64 * MB } : {}),
    },
  };
}
