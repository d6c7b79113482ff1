import type { LifecycleView, SyncedEntry, Version } from '@mister-smith/client';
import { compareVersions, type AgentLifecycleChangedData, type RecordedEvent } from '@mister-smith/core';
import { keyChangeOf } from './agentMessages.js';

/** A state row as `agents.state` holds it. */
export interface StateRowView {
  readonly key: string;
  readonly value: unknown;
  readonly version: Version;
  readonly strategy: string;
  readonly tombstone: boolean;
}

/** The agent's state being folded: live keys and tombstones, each with its version. */
export interface FoldedAgent {
  readonly keys: Map<string, SyncedEntry & { readonly tombstone: boolean }>;
  lifecycle: LifecycleView | null;
}

/** Starts a fold from the read models (`agents.state` rows and the registry's lifecycle). */
export function foldFrom(rows: readonly StateRowView[], lifecycle: LifecycleView | null): FoldedAgent {
  return { keys: new Map(rows.map((r) => [r.key, { value: r.value, version: r.version, strategy: r.strategy, tombstone: r.tombstone }])), lifecycle };
}

/**
 * Applies one stored event of the agent when it is newer than what the fold holds for its key
 * (or lifecycle): rows written by the projection or the owner's flush may already include it.
 */
export function foldEvent(f: FoldedAgent, r: RecordedEvent, epoch: number): void {
  const version = { epoch, seq: r.seq };
  if (r.event.type === 'AgentLifecycleChanged') {
    if (f.lifecycle && compareVersions(f.lifecycle.version, version) >= 0) return;
    const d = r.event.data as AgentLifecycleChangedData;
    f.lifecycle = { state: d.to, agentType: d.agentType, supervisorId: d.supervisorId, version };
    return;
  }
  const c = keyChangeOf(r);
  if (!c) return;
  const known = f.keys.get(c.key);
  if (known && compareVersions(known.version, version) >= 0) return;
  f.keys.set(c.key, { value: c.value, version, strategy: c.strategy ?? known?.strategy ?? 'lww', tombstone: c.op === 'delete' });
}

/** The live keys of a fold (tombstones left out). */
export function liveEntries(f: FoldedAgent): Record<string, SyncedEntry> {
  const out: Record<string, SyncedEntry> = {};
  for (const [k, e] of [...f.keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!e.tombstone) out[k] = { value: e.value, version: e.version, strategy: e.strategy };
  }
  return out;
}
