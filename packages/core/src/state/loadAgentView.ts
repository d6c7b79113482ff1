import { compareVersions } from '../events/EventEnvelope.js';
import type { EventLog } from '../eventlog/EventLog.js';
import type { AgentView } from './AgentViews.js';
import { recoverFromStream, type RecoveredEntry } from './recoverFromStream.js';
import type { StateRepository } from './StateRepository.js';
import type { VersionedValue } from './VersionedValue.js';
import type { CommandResult } from '../commands/CommandResult.js';

/** A key the stream had newer than PostgreSQL: an acknowledged write that the flush has not reached. */
export interface RepairedEntry extends RecoveredEntry {
  readonly key: string;
}

/**
 * Builds what this process knows of an agent: its PostgreSQL rows, then the stream after the
 * newest of them in the current epoch (acknowledged writes that never reached PostgreSQL, e.g. a
 * crash before the flush). Returns the view, the keys the stream repaired and the command results
 * the stream holds after PostgreSQL's head (what a new owner's dedup index needs beyond the table).
 */
export async function loadAgentView(repository: StateRepository, log: EventLog, agentId: string): Promise<{ view: AgentView; repaired: RepairedEntry[]; commands: CommandResult[] }> {
  const [rows, epoch] = await Promise.all([repository.loadAgent(agentId), log.epoch()]);
  const entries = new Map<string, VersionedValue>(rows);
  let pgHead = 0;
  for (const r of rows.values()) if (r.epoch === epoch) pgHead = Math.max(pgHead, r.seq);
  const caught = await recoverFromStream(log, agentId, pgHead, entries);
  const repaired: RepairedEntry[] = [];
  for (const [key, e] of caught.latest) {
    const prev = entries.get(key);
    if (!prev || compareVersions(prev, e) < 0) { entries.set(key, e); repaired.push({ ...e, key }); }
  }
  return { view: { seq: Math.max(pgHead, caught.lastSeq), entries, kvRevisions: new Map() }, repaired, commands: caught.commands };
}

/** Moves a view forward to the stream's head for the agent; returns the keys that changed. */
export async function catchUpView(log: EventLog, agentId: string, view: AgentView): Promise<string[]> {
  const caught = await recoverFromStream(log, agentId, view.seq, view.entries);
  const changed: string[] = [];
  for (const [key, e] of caught.latest) {
    const prev = view.entries.get(key);
    if (!prev || compareVersions(prev, e) < 0) {
      view.entries.set(key, e);
      view.kvRevisions.delete(key);
      changed.push(key);
    }
  }
  view.seq = Math.max(view.seq, caught.lastSeq);
  return changed;
}
