import { JetStreamKvStore, type NatsHandle, type Topology } from '@mister-smith/core';
import { logicalSubject } from '../read/toProjectionItem.js';
import type { Projection, ProjectionStreamKey } from '../types/Projection.js';
import { agentRegistryProjection } from './agentRegistryProjection.js';
import { agentStateProjection } from './agentStateProjection.js';
import { eventArchiveProjection } from './eventArchiveProjection.js';
import { taskViewProjection } from './taskViewProjection.js';
import { skipErasedAgents } from './skipErasedAgents.js';

/** Which built-in projections to create. */
export interface BuiltinProjectionOptions {
  /** Write the AGENT_STATE KV bucket from the agent-state projection (default true). */
  readonly kv?: boolean;
  /** Names to include (default: all). */
  readonly only?: readonly string[];
}

/** The logical subjects of one of the topology's streams. */
export function streamSubjects(topology: Topology, stream: ProjectionStreamKey): string[] {
  return topology.streams[stream].subjects.map((s) => logicalSubject(topology.namespace, s));
}

/**
 * The built-in projections: `agent-registry`, `agent-state` (PostgreSQL and KV), `task-view`, and
 * one event archive per stream (`archive.agent-state`, `archive.task-execution`, `archive.agent-messages`).
 * The read models skip the events of erased agents (`skipErasedAgents`); the archives blank them.
 */
export async function builtinProjections(deps: { readonly nats: NatsHandle; readonly topology: Topology }, options: BuiltinProjectionOptions = {}): Promise<Projection[]> {
  const { nats, topology } = deps;
  const bucket = topology.buckets.agentState;
  const kv = options.kv === false ? undefined
    : await JetStreamKvStore.open(nats, bucket.bucket, bucket.maxValueSize !== undefined ? { maxValueSize: bucket.maxValueSize } : {});
  const all: Projection[] = [
    agentRegistryProjection(),
    agentStateProjection(kv ? { kv } : {}),
    taskViewProjection({ interestConsumer: topology.consumers.taskFeed }),
  ].map(skipErasedAgents);
  // The archives keep an erased agent's events as position-only placeholders instead (see eventArchiveProjection).
  all.push(...(['agentState', 'taskExecution', 'agentMessages'] as const).map((k) => eventArchiveProjection(k, streamSubjects(topology, k))));
  return options.only ? all.filter((p) => options.only!.includes(p.name)) : all;
}
