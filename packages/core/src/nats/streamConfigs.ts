import { nanos } from '@nats-io/nats-core';
import type { ConsumerConfig, StreamConfig } from '@nats-io/jetstream';
import type { BucketSpec, ConsumerSpec, ObjectStoreSpec, StreamSpec } from '../config/topology.js';
import type { FeatureGates } from './featureGates.js';

/** What provisioning sends for a stream: the spec in the server's vocabulary, gated fields stripped. */
export function streamConfigOf(spec: StreamSpec): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    description: spec.description,
    subjects: [...spec.subjects],
    storage: spec.storage as StreamConfig['storage'],
    retention: spec.retention as StreamConfig['retention'],
    max_age: nanos(spec.maxAgeSeconds * 1000),
    max_msgs: spec.maxMsgs,
    max_bytes: spec.maxBytes,
    max_msg_size: spec.maxMsgSize,
    num_replicas: spec.replicas,
    discard: spec.discard as StreamConfig['discard'],
    duplicate_window: nanos(spec.duplicateWindowSeconds * 1000),
    allow_rollup_hdrs: spec.allowRollupHdrs,
    deny_delete: spec.denyDelete,
    deny_purge: spec.denyPurge,
    ...(spec.placement ? { placement: { cluster: spec.placement.cluster ?? '', tags: [...(spec.placement.tags ?? [])] } } : {}),
  };
}

/** The stream behind a KV bucket (`KV_<bucket>`), shaped the way nats.js' Kvm creates it. */
export function bucketStreamConfigOf(spec: BucketSpec, gates: FeatureGates): Partial<StreamConfig> & { name: string } {
  return {
    name: `KV_${spec.bucket}`,
    description: spec.description,
    subjects: [`$KV.${spec.bucket}.>`],
    retention: 'limits' as StreamConfig['retention'],
    max_msgs_per_subject: spec.history,
    max_bytes: spec.maxBytes ?? -1,
    max_msg_size: spec.maxValueSize ?? -1,
    storage: spec.storage as StreamConfig['storage'],
    num_replicas: spec.replicas,
    max_age: nanos(spec.ttlSeconds * 1000),
    // The server refuses a duplicate window longer than max_age, and keeps the one it chose at
    // creation: send it, so lowering a bucket's TTL (e.g. the lease duration) is an update.
    ...(spec.ttlSeconds > 0 ? { duplicate_window: nanos(Math.min(spec.ttlSeconds, 120) * 1000) } : {}),
    discard: 'new' as StreamConfig['discard'],
    allow_rollup_hdrs: true,
    deny_delete: true,
    allow_direct: spec.allowDirect,
    ...(spec.compression && gates.streamCompression ? { compression: spec.compression as StreamConfig['compression'] } : {}),
    ...(spec.placement ? { placement: { cluster: spec.placement.cluster ?? '', tags: [...(spec.placement.tags ?? [])] } } : {}),
  };
}

/** The stream behind an Object Store bucket (`OBJ_<bucket>`), shaped the way nats.js' Objm creates it. */
export function objectStoreStreamConfigOf(spec: ObjectStoreSpec): Partial<StreamConfig> & { name: string } {
  return {
    name: `OBJ_${spec.bucket}`,
    description: spec.description,
    subjects: [`$O.${spec.bucket}.C.>`, `$O.${spec.bucket}.M.>`],
    retention: 'limits' as StreamConfig['retention'],
    max_bytes: spec.maxBytes,
    storage: spec.storage as StreamConfig['storage'],
    num_replicas: spec.replicas,
    max_age: nanos(spec.maxAgeSeconds * 1000),
    discard: 'new' as StreamConfig['discard'],
    allow_rollup_hdrs: true,
    allow_direct: true,
    ...(spec.placement ? { placement: { cluster: spec.placement.cluster ?? '', tags: [...(spec.placement.tags ?? [])] } } : {}),
  };
}

/** A durable consumer's config (seed 6.3); `rateLimitPerSecond` stays client-side. */
export function consumerConfigOf(spec: ConsumerSpec): Partial<ConsumerConfig> {
  return {
    ...(spec.name ? { durable_name: spec.name, name: spec.name } : {}),
    description: spec.description,
    deliver_policy: spec.deliverPolicy as ConsumerConfig['deliver_policy'],
    ack_policy: spec.ackPolicy as ConsumerConfig['ack_policy'],
    ...(spec.ackWaitSeconds !== undefined ? { ack_wait: nanos(spec.ackWaitSeconds * 1000) } : {}),
    max_deliver: spec.maxDeliver,
    ...(spec.maxAckPending !== undefined ? { max_ack_pending: spec.maxAckPending } : {}),
    ...(spec.filterSubject !== undefined ? { filter_subject: spec.filterSubject } : {}),
    replay_policy: spec.replayPolicy as ConsumerConfig['replay_policy'],
    ...(spec.maxBatch !== undefined ? { max_batch: spec.maxBatch } : {}),
    ...(spec.maxExpiresSeconds !== undefined ? { max_expires: nanos(spec.maxExpiresSeconds * 1000) } : {}),
    ...(spec.maxBytes !== undefined ? { max_bytes: spec.maxBytes } : {}),
  };
}

/** Fields the server cannot change on an existing stream; a difference there is a conflict. */
export const IMMUTABLE_STREAM_FIELDS: ReadonlySet<string> = new Set(['storage', 'retention', 'name']);

/** Compares what was asked with what the server holds; returns the names of differing fields. */
export function diffConfig(wanted: Record<string, unknown>, actual: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(wanted)) {
    if (!sameValue(v, actual[k])) out.push(k);
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const sa = [...a].map(String).sort();
    const sb = [...b].map(String).sort();
    return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    return diffConfig(a as Record<string, unknown>, b as Record<string, unknown>).length === 0;
  }
  if (a === '' && b === undefined) return true;
  return a === b;
}
