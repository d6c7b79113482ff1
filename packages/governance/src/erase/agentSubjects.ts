import { namespacedSubject, type Topology } from '@mister-smith/core';

/** One purge: a stream and the subject filters whose messages belong to the agent. */
export interface PurgeTarget {
  readonly stream: string;
  readonly filters: readonly string[];
}

/** Logical subjects that carry an agent's own events (as stored in the archive and dead letters). */
export function agentLogicalSubjects(agentId: string): string[] {
  return [`agents.state.${agentId}`, `agents.lifecycle.${agentId}`];
}

/**
 * Everything in NATS that belongs to one agent: its state and lifecycle subjects, messages addressed
 * to it (`messages.<kind>.<id>[.…]`), the events of its tasks, and its keys in every KV bucket
 * (`<id>`, `<id>.<key>`, `_registry.<id>`), each as a stream purge by subject.
 */
export function agentPurgeTargets(topology: Topology, agentId: string, taskIds: readonly string[]): PurgeTarget[] {
  const ns = (s: string) => namespacedSubject(topology.namespace, s);
  const targets: PurgeTarget[] = [
    { stream: topology.streams.agentState.name, filters: agentLogicalSubjects(agentId).map(ns) },
    { stream: topology.streams.agentMessages.name, filters: [ns(`messages.*.${agentId}`), ns(`messages.*.${agentId}.>`)] },
    { stream: topology.streams.taskExecution.name, filters: taskIds.map((t) => ns(`tasks.*.${t}`)) },
  ];
  for (const b of Object.values(topology.buckets)) {
    targets.push({ stream: `KV_${b.bucket}`, filters: [`$KV.${b.bucket}.${agentId}`, `$KV.${b.bucket}.${agentId}.>`, `$KV.${b.bucket}._registry.${agentId}`] });
  }
  return targets.filter((t) => t.filters.length > 0);
}
