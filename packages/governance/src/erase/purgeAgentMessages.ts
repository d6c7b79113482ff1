import { classifyNatsError, type NatsHandle, type Topology } from '@mister-smith/core';
import { agentPurgeTargets } from './agentSubjects.js';

/** Messages removed per stream (stream name -> count). */
export type MessageCounts = Record<string, number>;

/**
 * Purges, by subject, every message of one agent from every stream and KV bucket of the namespace
 * (`agentPurgeTargets`). A purge removes the messages themselves, history included (unlike a KV
 * delete, which leaves a marker). Streams that do not exist are skipped.
 */
export async function purgeAgentMessages(nats: NatsHandle, topology: Topology, agentId: string, taskIds: readonly string[]): Promise<MessageCounts> {
  const counts: MessageCounts = {};
  const existing = new Set<string>();
  for await (const name of nats.jsm.streams.names()) existing.add(name);
  for (const t of agentPurgeTargets(topology, agentId, taskIds)) {
    if (!existing.has(t.stream)) continue;
    for (const filter of t.filters) {
      try {
        const r = await nats.jsm.streams.purge(t.stream, { filter });
        if (r.purged > 0) counts[t.stream] = (counts[t.stream] ?? 0) + r.purged;
      } catch (e) {
        throw classifyNatsError(e, `purging ${filter} from ${t.stream}`);
      }
    }
  }
  return counts;
}
