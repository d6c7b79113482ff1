import { agentKvKey } from '../config/identifiers.js';
import type { EventLog } from '../eventlog/EventLog.js';
import type { KvStore } from '../kv/KvStore.js';
import type { AgentViews } from './AgentViews.js';
import { loadAgentView, type AgentRowSource, type HydrationPhase } from './loadAgentView.js';
import type { ReadThroughCache } from './ReadThroughCache.js';
import type { HydrateReport } from './StateStore.js';
import type { WriteBehind } from './WriteBehind.js';
import { writeStateToKv, type LargeValueParts } from './writeStateToKv.js';

/** The parts a hydration uses. */
export interface HydrationParts extends LargeValueParts {
  /** The agent's PostgreSQL rows: the repository, or a loader that batches concurrent hydrations into one statement. */
  readonly rows: AgentRowSource;
  readonly log: EventLog;
  readonly kv: KvStore;
  readonly views: AgentViews;
  readonly cache: ReadThroughCache;
  readonly writeBehind: WriteBehind;
  /** Per-phase timings (the `mister_smith_hydration_phase_seconds` histogram). */
  readonly observe?: (phase: HydrationPhase, seconds: number) => void;
}

/**
 * Loads an agent (PostgreSQL and the stream's head at once, then the stream tail after
 * PostgreSQL's newest row if there is one), flushes what the stream repaired (and the command
 * results it carried), and writes every key into KV unless KV already holds the same or a newer
 * version. Call it under the agent's lock.
 *
 * Round trips: one PostgreSQL statement (shared by the hydrations that run at the same time) and
 * one stream request, concurrently; then one KV write per key, all at once. An agent the stream
 * has never seen (head 0) has had no write in this stream, so KV is filled with `create` (one round
 * trip); otherwise with a forward-only compare-and-set (read, then write if KV is older).
 */
export async function hydrateAgentState(parts: HydrationParts, agentId: string): Promise<HydrateReport> {
  const { view, repaired, commands, head } = await loadAgentView(parts.rows, parts.log, agentId, parts.observe);
  parts.views.set(agentId, view);
  if (repaired.length > 0 || commands.length > 0) {
    const t = performance.now();
    for (const e of repaired) parts.writeBehind.add({ agentId, stateKey: e.key, epoch: e.epoch, seq: e.seq, strategy: e.strategy, value: e.value, stored: e.stored, tombstone: e.tombstone === true });
    for (const c of commands) parts.writeBehind.addCommand(c);
    await parts.writeBehind.flush((r) => r.agentId === agentId);
    parts.observe?.('flush', (performance.now() - t) / 1000);
  }
  let hydrated = 0;
  let alreadyInKv = 0;
  const t = performance.now();
  const createFirst = head === 0;
  await Promise.all([...view.entries].map(async ([key, e]) => {
    const kvKey = agentKvKey(agentId, key);
    // PostgreSQL rows hold large values themselves: KV gets them by reference (a new object).
    const outcome = await writeStateToKv(parts.kv, parts, agentId, key, kvKey, e, { createFirst, onWritten: (r) => view.kvRevisions.set(key, r) });
    if (outcome === 'written') hydrated++; else alreadyInKv++;
    parts.cache.forget(kvKey);
  }));
  if (view.entries.size > 0) parts.observe?.('kv', (performance.now() - t) / 1000);
  const values: Record<string, unknown> = {};
  for (const [key, e] of view.entries) if (!e.tombstone) values[key] = e.value;
  return { agentId, keys: view.entries.size, hydrated, alreadyInKv, repaired: repaired.length, values, seq: view.seq, head, commands };
}
