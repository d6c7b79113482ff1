import type { EventLog } from '../eventlog/EventLog.js';
import type { VersionedValue } from './VersionedValue.js';
import { asStateChanged, asStateEditedInSql, stateSubject } from './stateEvents.js';
import { storedFromEvent } from './crdtEventStored.js';
import { isCrdtChanges } from '@mister-smith/crdt';
import { commandResultOf } from '../commands/commandRecorded.js';
import type { CommandResult } from '../commands/CommandResult.js';

/** A state entry recovered from the stream, with who wrote it. */
export interface RecoveredEntry extends VersionedValue {
  readonly writer?: string;
  /** Id of the event that produced it (to recognise one's own append that timed out but landed). */
  readonly eventId?: string;
}

/**
 * Reads an agent's state events after `afterSeq` and folds them into the newest entry per key:
 * how a writer catches up after losing an append race, and how hydration finds acknowledged
 * writes that never reached PostgreSQL (a crash between append and flush). Malformed events are
 * skipped here; the projection dead-letters them. `commands` are the command results the events
 * carry (what a new owner adds to its dedup index beyond PostgreSQL's). `known`: the entries the
 * caller holds up to `afterSeq`, which Automerge changes in the events are applied to. With `head`
 * (the subject's last sequence, read by the caller), the read stops at it, and is skipped when it
 * is not after `afterSeq`.
 */
export async function recoverFromStream(log: EventLog, agentId: string, afterSeq: number, known?: ReadonlyMap<string, VersionedValue>, head?: number): Promise<{ latest: Map<string, RecoveredEntry>; lastSeq: number; commands: CommandResult[] }> {
  const epoch = await log.epoch();
  const latest = new Map<string, RecoveredEntry>();
  const commands: CommandResult[] = [];
  let lastSeq = afterSeq;
  // A head the caller already read: nothing after `afterSeq` means no read at all, else the read
  // stops there (and does not ask for the head again).
  if (head !== undefined && head <= afterSeq) return { latest, lastSeq, commands };
  // Keys whose Automerge changes did not apply to what the caller holds (it missed a version
  // between its entry and `afterSeq`, e.g. another writer's unflushed write): read again below.
  const unresolved = new Set<string>();
  for await (const item of log.read({ filter: stateSubject(agentId), from: { seq: afterSeq + 1 }, ...(head !== undefined ? { toSeq: head } : {}) })) {
    if (item.kind !== 'event') { if (item.kind === 'malformed') lastSeq = Math.max(lastSeq, item.seq); continue; }
    const { event, seq } = item.record;
    lastSeq = Math.max(lastSeq, seq);
    try {
      const command = event.agentId === agentId ? commandResultOf(event, { epoch, seq }) : undefined;
      if (command) commands.push(command);
      if (event.type === 'StateChanged') {
        const e = asStateChanged(event);
        if (e.agentId !== agentId) continue; // an event naming another agent does not belong here
        // Automerge changes apply to the key's version before the event: an earlier event of this
        // read, else what the caller knows (PostgreSQL rows, its view).
        const stored = e.data.op === 'delete' ? e.data.stored : storedFromEvent(latest.get(e.data.key) ?? known?.get(e.data.key), e.data.stored);
        latest.set(e.data.key, { epoch, seq, strategy: e.data.strategy, value: e.data.value, stored, writer: e.data.writer, eventId: e.id, ...(e.data.op === 'delete' ? { tombstone: true } : {}), ...(e.data.ref && e.data.op !== 'delete' ? { ref: e.data.ref } : {}) });
        if (stored === null && isCrdtChanges(e.data.stored)) unresolved.add(e.data.key); else unresolved.delete(e.data.key);
      } else if (event.type === 'StateEditedInSql') {
        const e = asStateEditedInSql(event);
        if (e.data.agent_id !== agentId) continue;
        const prev = latest.get(e.data.state_key);
        latest.set(e.data.state_key, { epoch, seq, strategy: prev?.strategy ?? 'lww', value: e.data.new_value, stored: null, writer: 'sql', ...(e.data.operation === 'DELETE' || e.data.tombstone ? { tombstone: true } : {}) });
        unresolved.delete(e.data.state_key);
      }
    } catch {
      // A malformed state event cannot be applied; the agent-state projection dead-letters it.
    }
  }
  for (const key of unresolved) {
    const rebuilt = await rebuildKey(log, agentId, key, epoch, known?.get(key), lastSeq);
    const entry = latest.get(key)!;
    if (rebuilt !== null && rebuilt.seq === entry.seq) latest.set(key, { ...entry, stored: rebuilt.stored });
  }
  return { latest, lastSeq, commands };
}

/**
 * The key's Automerge document at `toSeq`, from the stream after `base` (the caller's entry of the
 * key; from the stream's start without one), or null when the stream no longer holds a version
 * the changes need.
 */
async function rebuildKey(log: EventLog, agentId: string, key: string, epoch: number, base: VersionedValue | undefined, toSeq: number): Promise<{ seq: number; stored: unknown } | null> {
  const fromBase = base !== undefined && base.epoch === epoch;
  let prev: VersionedValue | undefined = fromBase ? base : undefined;
  for await (const item of log.read({ filter: stateSubject(agentId), from: { seq: fromBase ? base.seq + 1 : 1 }, toSeq })) {
    if (item.kind !== 'event') continue;
    const { event, seq } = item.record;
    try {
      if (event.type === 'StateChanged') {
        const e = asStateChanged(event);
        if (e.agentId !== agentId || e.data.key !== key) continue;
        const stored = e.data.op === 'delete' ? null : storedFromEvent(prev, e.data.stored);
        prev = { epoch, seq, strategy: e.data.strategy, value: e.data.value, stored, ...(e.data.op === 'delete' ? { tombstone: true } : {}) };
      } else if (event.type === 'StateEditedInSql') {
        const e = asStateEditedInSql(event);
        if (e.data.agent_id !== agentId || e.data.state_key !== key) continue;
        prev = { epoch, seq, strategy: prev?.strategy ?? 'lww', value: e.data.new_value, stored: null };
      }
    } catch {
      // Malformed: skipped, as above.
    }
  }
  return prev === undefined || prev.stored === null ? null : { seq: prev.seq, stored: prev.stored };
}
