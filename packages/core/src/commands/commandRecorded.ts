import { assertAgentId } from '../config/identifiers.js';
import { msError } from '../errors/MisterSmithError.js';
import { createEvent } from '../events/createEvent.js';
import type { Event, EventEnvelope, StreamPosition } from '../events/EventEnvelope.js';
import type { CommandRecord, CommandResult, RecordedReply } from './CommandResult.js';

/** Data of `CommandRecorded`: a command that changed no state key, recorded with its reply. */
export interface CommandRecordedData extends CommandRecord {
  /** The owner that ran it. */
  readonly writer: string;
}

/** `CommandRecorded` on `agents.state.<agentId>`: changes no key, records a command's reply. */
export type CommandRecorded = Event<'CommandRecorded', CommandRecordedData>;

/** Builds a `CommandRecorded` event. */
export function commandRecorded(agentId: string, data: CommandRecordedData): CommandRecorded {
  return createEvent({ type: 'CommandRecorded', subject: `agents.state.${assertAgentId(agentId)}`, agentId, data });
}

function isReply(r: unknown): r is RecordedReply {
  return typeof r === 'object' && r !== null && Array.isArray((r as RecordedReply).changedKeys);
}

/**
 * The command result an event on `agents.state.<agentId>` carries, if any: a `StateChanged` with
 * `commandId`, `digest` and `reply` (the command's last write) or a `CommandRecorded`. `position`
 * is where the event is stored. MALFORMED_EVENT for a `CommandRecorded` without a valid record.
 */
export function commandResultOf(event: EventEnvelope, position: StreamPosition): CommandResult | undefined {
  if (event.type !== 'StateChanged' && event.type !== 'CommandRecorded') return undefined;
  const d = event.data as Partial<CommandRecord> | null;
  const complete = !!d && typeof d.commandId === 'string' && typeof d.digest === 'string' && isReply(d.reply);
  if (!complete) {
    if (event.type === 'CommandRecorded') throw msError('MALFORMED_EVENT', `CommandRecorded ${event.id} has no command id, digest and reply`, { details: { id: event.id } });
    return undefined;
  }
  if (typeof event.agentId !== 'string') return undefined;
  return {
    agentId: event.agentId, commandId: d.commandId!, digest: d.digest!, reply: { result: d.reply!.result ?? null, changedKeys: [...d.reply!.changedKeys] },
    version: { epoch: position.epoch, seq: position.seq }, recordedAt: new Date(event.time),
  };
}
