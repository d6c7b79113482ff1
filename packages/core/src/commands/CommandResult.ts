import type { StreamPosition } from '../events/EventEnvelope.js';

/** A command's reply as recorded with its effect (the version is the recording event's). */
export interface RecordedReply {
  /** What the handler returned. */
  readonly result: unknown;
  /** State keys the command wrote (empty for a command that changed nothing). */
  readonly changedKeys: readonly string[];
}

/** What an owner records about one command it ran: its id, payload digest and reply. */
export interface CommandRecord {
  readonly commandId: string;
  /** `commandDigest(name, payload)`. */
  readonly digest: string;
  readonly reply: RecordedReply;
}

/**
 * One durable command result (`mister_smith.command_results`): the record plus the agent, the
 * version of the event that carried it (the command's last `StateChanged`, or its
 * `CommandRecorded` when it changed nothing) and when it ran.
 */
export interface CommandResult extends CommandRecord {
  readonly agentId: string;
  readonly version: StreamPosition;
  readonly recordedAt: Date;
}
