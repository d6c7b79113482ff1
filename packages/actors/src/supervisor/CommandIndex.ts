import { msError, type CommandResult, type RecordedReply, type StreamPosition } from '@mister-smith/core';

/** One command the owner knows it ran. */
export interface IndexedCommand {
  readonly digest: string;
  readonly reply: RecordedReply;
  /** Version of the event that recorded it. */
  readonly version: StreamPosition;
  /** When it ran (ms since 1970). */
  readonly recordedAt: number;
}

/**
 * An owner's dedup index of one agent: the commands recorded within the window, built from
 * `mister_smith.command_results` plus the stream after PostgreSQL's head before the agent accepts
 * commands, and extended by every command it runs. Entries older than the window are dropped.
 */
export class CommandIndex {
  readonly #entries = new Map<string, IndexedCommand>();
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(windowMs: number, now: () => number = Date.now) {
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Builds an index from recorded results (any order, duplicates allowed: the first record wins). */
  static of(results: Iterable<CommandResult>, windowMs: number, now: () => number = Date.now): CommandIndex {
    const index = new CommandIndex(windowMs, now);
    const sorted = [...results].sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime());
    for (const r of sorted) {
      if (!index.#entries.has(r.commandId)) index.add(r.commandId, { digest: r.digest, reply: r.reply, version: r.version, recordedAt: r.recordedAt.getTime() });
    }
    return index;
  }

  get size(): number {
    return this.#entries.size;
  }

  add(commandId: string, entry: IndexedCommand): void {
    this.#entries.set(commandId, entry);
    const horizon = this.#now() - this.#windowMs;
    // Insertion order is (about) time order: drop expired entries from the front.
    for (const [id, e] of this.#entries) {
      if (e.recordedAt >= horizon) break;
      this.#entries.delete(id);
    }
  }

  /**
   * The recorded command with this id, when it is within the window: undefined for a new id,
   * IDEMPOTENCY_CONFLICT when the id was used for a command with another name or payload.
   */
  lookup(agentId: string, commandId: string, digest: string): IndexedCommand | undefined {
    const e = this.#entries.get(commandId);
    if (!e || e.recordedAt < this.#now() - this.#windowMs) return undefined;
    if (e.digest !== digest) {
      throw msError('IDEMPOTENCY_CONFLICT', `command id ${commandId} of agent ${agentId} was already used for a command with another name or payload; use a new command id for a new command`, {
        details: { agentId, commandId, version: e.version },
      });
    }
    return e;
  }
}
