import type { EventLog } from '../eventlog/EventLog.js';
import type { VersionedValue } from './VersionedValue.js';
import { asStateChanged, asStateEditedInSql, stateSubject } from './stateEvents.js';
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
 * carry (what a new owner adds to its dedup index beyond PostgreSQL's).
 */
export async function recoverFromStream(log: EventLog, agentId: string, afterSeq: number): Promise<{ latest: Map<string, RecoveredEntry>; lastSeq: number; commands: CommandResult[] }> {
  const epoch = await log.epoch();
  const latest = new Map<string, RecoveredEntry>();
  const commands: CommandResult[] = [];
  let lastSeq = afterSeq;
  for await (const item of log.read({ filter: stateSubject(agentId), from: { seq: afterSeq + 1 } })) {
    if (item.kind !== 'event') { if (item.kind === 'malformed') lastSeq = Math.max(lastSeq, item.seq); continue; }
    const { event, seq } = item.record;
    lastSeq = Math.max(lastSeq, seq);
    try {
      const command = event.agentId === agentId ? commandResultOf(event, { epoch, seq }) : undefined;
      if (command) commands.push(command);
      if (event.type === 'StateChanged') {
        const e = asStateChanged(event);
        if (e.agentId !== agentId) continue; // an event naming another agent does not belong here
        latest.set(e.data.key, { epoch, seq, strategy: e.data.strategy, value: e.data.value, stored: e.data.stored, writer: e.data.writer, eventId: e.id, ...(e.data.op === 'delete' ? { tombstone: true } : {}) });
      } else if (event.type === 'StateEditedInSql') {
        const e = asStateEditedInSql(event);
        if (e.data.agent_id !== agentId) continue;
        const prev = latest.get(e.data.state_key);
        latest.set(e.data.state_key, { epoch, seq, strategy: prev?.strategy ?? 'lww', value: e.data.new_value, stored: null, writer: 'sql', ...(e.data.operation === 'DELETE' || e.data.tombstone ? { tombstone: true } : {}) });
      }
    } catch {
      // A malformed state event cannot be applied; the agent-state projection dead-letters it.
    }
  }
  return { latest, lastSeq, commands };
}
