import { compareVersions } from '../events/EventEnvelope.js';
import type { EventLog } from '../eventlog/EventLog.js';
import type { AgentView } from './AgentViews.js';
import { recoverFromStream, type RecoveredEntry } from './recoverFromStream.js';
import { stateSubject } from './stateEvents.js';
import type { VersionedValue } from './VersionedValue.js';
import type { CommandResult } from '../commands/CommandResult.js';

/** A key the stream had newer than PostgreSQL: an acknowledged write that the flush has not reached. */
export interface RepairedEntry extends RecoveredEntry {
  readonly key: string;
}

/** Where an agent's PostgreSQL rows come from: the repository, or a loader that batches agents. */
export interface AgentRowSource {
  loadAgent(agentId: string): Promise<Map<string, VersionedValue>>;
}

/** A phase of loading or hydrating an agent, for the `mister_smith_hydration_phase_seconds` histogram. */
export type HydrationPhase = 'pg' | 'stream' | 'apply' | 'flush' | 'kv';

/** What {@link loadAgentView} found. */
export interface LoadedAgentView {
  readonly view: AgentView;
  readonly repaired: RepairedEntry[];
  readonly commands: CommandResult[];
  /** The last sequence on `agents.state.<agentId>` when the stream was read (0 when none). */
  readonly head: number;
}

/**
 * Builds what this process knows of an agent: its PostgreSQL rows, then the stream after the
 * newest of them in the current epoch (acknowledged writes that never reached PostgreSQL, e.g. a
 * crash before the flush). Returns the view, the keys the stream repaired and the command results
 * the stream holds after PostgreSQL's head (what a new owner's dedup index needs beyond the table).
 *
 * Two round trips, at once: the rows (one statement, shared with other agents when `rows` batches)
 * and the subject's head (one stream request). Only when the head is past PostgreSQL's newest
 * row is the tail between them read (what a crash or an unflushed write leaves).
 */
export async function loadAgentView(rows: AgentRowSource, log: EventLog, agentId: string, observe?: (phase: HydrationPhase, seconds: number) => void): Promise<LoadedAgentView> {
  const t0 = performance.now();
  let headSeconds = 0;
  const [loaded, head, epoch] = await Promise.all([
    observe ? rows.loadAgent(agentId).then((r) => { observe('pg', (performance.now() - t0) / 1000); return r; }) : rows.loadAgent(agentId),
    observe ? log.headOf(stateSubject(agentId)).then((h) => { headSeconds = (performance.now() - t0) / 1000; return h; }) : log.headOf(stateSubject(agentId)),
    log.epoch(),
  ]);
  const t1 = performance.now();
  const entries = new Map<string, VersionedValue>(loaded);
  let pgHead = 0;
  for (const r of loaded.values()) if (r.epoch === epoch && r.seq > pgHead) pgHead = r.seq;
  const caught = await recoverFromStream(log, agentId, pgHead, entries, head);
  const t2 = performance.now();
  const repaired: RepairedEntry[] = [];
  for (const [key, e] of caught.latest) {
    const prev = entries.get(key);
    if (!prev || compareVersions(prev, e) < 0) { entries.set(key, e); repaired.push({ ...e, key }); }
  }
  if (observe) {
    // The head request ran alongside the rows; the stream phase is the head plus any tail read.
    observe('stream', headSeconds + (t2 - t1) / 1000);
    observe('apply', (performance.now() - t2) / 1000);
  }
  return { view: { seq: Math.max(pgHead, caught.lastSeq), entries, kvRevisions: new Map() }, repaired, commands: caught.commands, head };
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
