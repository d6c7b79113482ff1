import { agentKvKey } from '../config/identifiers.js';
import type { EventLog } from '../eventlog/EventLog.js';
import type { KvStore } from '../kv/KvStore.js';
import type { AgentViews } from './AgentViews.js';
import { loadAgentView } from './loadAgentView.js';
import type { ReadThroughCache } from './ReadThroughCache.js';
import type { HydrateReport } from './StateStore.js';
import type { StateRepository } from './StateRepository.js';
import type { WriteBehind } from './WriteBehind.js';
import { writeStateToKv, type LargeValueParts } from './writeStateToKv.js';

/** The parts a hydration uses. */
export interface HydrationParts extends LargeValueParts {
  readonly repository: StateRepository;
  readonly log: EventLog;
  readonly kv: KvStore;
  readonly views: AgentViews;
  readonly cache: ReadThroughCache;
  readonly writeBehind: WriteBehind;
}

/**
 * Loads an agent (PostgreSQL, then the stream after it), flushes what the stream repaired (and the
 * command results it carried), and
 * writes every key into KV unless KV already holds the same or a newer version. Call it under the
 * agent's lock.
 */
export async function hydrateAgentState(parts: HydrationParts, agentId: string): Promise<HydrateReport> {
  const { view, repaired, commands } = await loadAgentView(parts.repository, parts.log, agentId);
  parts.views.set(agentId, view);
  for (const e of repaired) parts.writeBehind.add({ agentId, stateKey: e.key, epoch: e.epoch, seq: e.seq, strategy: e.strategy, value: e.value, stored: e.stored, tombstone: e.tombstone === true });
  for (const c of commands) parts.writeBehind.addCommand(c);
  if (repaired.length > 0 || commands.length > 0) await parts.writeBehind.flush((r) => r.agentId === agentId);
  let hydrated = 0;
  let alreadyInKv = 0;
  await Promise.all([...view.entries].map(async ([key, e]) => {
    const kvKey = agentKvKey(agentId, key);
    // PostgreSQL rows hold large values themselves: KV gets them by reference (a new object).
    const outcome = await writeStateToKv(parts.kv, parts, agentId, key, kvKey, e, { onWritten: (r) => view.kvRevisions.set(key, r) });
    if (outcome === 'written') hydrated++; else alreadyInKv++;
    parts.cache.forget(kvKey);
  }));
  const values: Record<string, unknown> = {};
  for (const [key, e] of view.entries) if (!e.tombstone) values[key] = e.value;
  return { agentId, keys: view.entries.size, hydrated, alreadyInKv, repaired: repaired.length, values, seq: view.seq, commands };
}
