import type { ConflictStrategy, StrategySpec } from '@mister-smith/crdt';
import type { StreamPosition } from '../events/EventEnvelope.js';
import type { StrategyName } from './stateEvents.js';
import type { CommandRecord, CommandResult } from '../commands/CommandResult.js';

/**
 * When a write is acknowledged: after the JetStream append (default) or after the PostgreSQL commit.
 * A `postgres` write joins a group commit once its KV write is done (the commit is its last step):
 * it is acknowledged when a flush transaction holding its row has committed, concurrent writes
 * share transactions, and a write still in flight when PostgreSQL stops taking connections fails
 * with COMMITTED_NOT_FLUSHED (committed to the stream, not yet in PostgreSQL; do not repeat it).
 */
export type Durability = 'jetstream' | 'postgres';

/** Options of one state write. */
export interface WriteOptions {
  /** The key's conflict strategy (default: the store's `strategies` spec, else LWW). */
  readonly strategy?: StrategyName | ConflictStrategy;
  /** Writer id (default: the store's `writerId`). */
  readonly writer?: string;
  /** Client command id; carried in the event for deduplication by the owner. */
  readonly commandId?: string;
  /**
   * Set on a command's last write (with `commandId`): its payload digest and reply, recorded in the
   * event and written to `mister_smith.command_results` by the flush that writes this row.
   */
  readonly commandResult?: Omit<CommandRecord, 'commandId'>;
  /**
   * The version the write was made against. When the key has moved on since, the strategy merges
   * (LWW by HLC, vector clocks, Automerge) instead of overwriting.
   */
  readonly base?: StreamPosition;
  readonly durability?: Durability;
  /** Fencing: the append fails with SEQUENCE_CONFLICT unless `agents.state.<id>` is still at this sequence. */
  readonly expectedLastSeq?: number;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly traceparent?: string;
  /** Allows a reserved key (starting with `_`): framework state such as an agent's `_runtime`. */
  readonly reserved?: boolean;
}

/** The acknowledged result of a write. */
export interface WriteResult {
  readonly version: StreamPosition;
  /** The value now stored (after any merge). */
  readonly value: unknown;
  /** True when a conflict was resolved by the strategy. */
  readonly merged: boolean;
}

/** One key's current state with its version. */
export interface StateEntry {
  readonly agentId: string;
  readonly key: string;
  readonly value: unknown;
  readonly version: StreamPosition;
  readonly strategy: StrategyName;
  /** Where the read was served from. */
  readonly source: 'memory' | 'kv' | 'postgres';
}

/** What `hydrateAgent` did. */
export interface HydrateReport {
  readonly agentId: string;
  readonly keys: number;
  /** Entries written into KV from PostgreSQL. */
  readonly hydrated: number;
  /** Entries KV already had at the same or a newer version. */
  readonly alreadyInKv: number;
  /** KV entries newer than PostgreSQL that were flushed on the way (crash recovery). */
  readonly repaired: number;
  /** The agent's live values after hydration (deleted keys left out). */
  readonly values: Readonly<Record<string, unknown>>;
  /** The last sequence on `agents.state.<agentId>` the hydration read up to. */
  readonly seq: number;
  /**
   * The subject's last sequence when the hydration read the stream (0 when none): the state is
   * complete as of it, so an owner fences at it (OwnershipAcquired with it as the expected last
   * sequence) without asking the stream again.
   */
  readonly head: number;
  /** Command results found in the stream after PostgreSQL's head (queued for the flush too). */
  readonly commands: readonly CommandResult[];
}

/** What a flush did. */
export interface FlushReport {
  readonly rows: number;
  readonly written: number;
  readonly skipped: number;
  readonly transactions: number;
  readonly durationMs: number;
}

/** A resolved conflict, for logs and metrics. */
export interface ConflictNotice {
  readonly agentId: string;
  readonly key: string;
  readonly strategy: StrategyName;
  readonly writers: readonly string[];
  readonly outcome: string;
}

/** A bucket without an owner (SESSION_DATA, AGENT_CONFIG, QUERY_CACHE): many writers, KV compare-and-set with the key's strategy. */
export interface SharedStateBucket {
  readonly bucket: string;
  /** Reads, merges with the strategy, writes with the expected revision, retries with a bound. */
  saveState(key: string, input: unknown, options?: { strategy?: StrategyName | ConflictStrategy; writer?: string; maxAttempts?: number }): Promise<{ value: unknown; revision: number; attempts: number; merged: boolean }>;
  /** The user-visible value, or undefined. CORRUPT_ENTRY (naming the key) for an unreadable entry. */
  getState(key: string): Promise<unknown>;
  deleteState(key: string): Promise<void>;
}

/** Options of `createStateStore`. */
export interface StateStoreOptions {
  /** Writer id stamped on writes (LWW tie-break, vector clock entry). Default: a random id. */
  readonly writerId?: string;
  /** Conflict strategy per key (default LWW). */
  readonly strategies?: StrategySpec;
  /** Dirty keys that trigger a flush (seed: 50), in the whole store and, unless its policy says otherwise, per agent. */
  readonly flushThreshold?: number;
  /** A dirty agent is flushed at least this often, unless its policy says otherwise (default 1000 ms). */
  readonly flushIntervalMs?: number;
  readonly durability?: Durability;
  /** L1 cache bounds (default 10,000 entries, 30 s). `maxEntries: 0` turns it off. */
  readonly cache?: { readonly maxEntries?: number; readonly ttlMs?: number; /** Agents whose full state a writer keeps (default 10,000). */ readonly maxAgents?: number };
  /** Watch KV to invalidate L1 (default true). */
  readonly watch?: boolean;
  /**
   * When a write is acknowledged relative to its KV update: `await` (default) acknowledges once KV
   * has the value too, so a reader in any process reads it right after the acknowledgement;
   * `background` acknowledges at the commit point (the JetStream append) and updates KV right
   * behind it, in order per key (reads in this process wait for it; other processes may read the
   * previous value for that moment). `background` saves one round trip per write.
   */
  readonly kvWrite?: 'background' | 'await';
  /**
   * Large values (bytes of the JSON of a value and its stored form): over `inlineBytes` (default
   * 256 KiB) a value goes to the LARGE_VALUES Object Store and the event and KV entry carry a
   * reference; over `maxBytes` (default 64 MiB) a write is refused with PAYLOAD_TOO_LARGE before
   * anything is written.
   */
  readonly largeValues?: { readonly inlineBytes?: number; readonly maxBytes?: number };
}

/**
 * The hybrid state plane: writes commit to JetStream (`agents.state.<agentId>`), then move KV
 * forward; PostgreSQL receives dirty keys write-behind. Reads go L1 -> KV -> PostgreSQL with lazy
 * hydration. Usable on its own, without a supervisor.
 */
export interface StateStore extends AsyncDisposable {
  write(agentId: string, key: string, input: unknown, options?: WriteOptions): Promise<WriteResult>;
  delete(agentId: string, key: string, options?: WriteOptions): Promise<WriteResult>;
  /** The user-visible value, or undefined when missing or deleted. */
  read(agentId: string, key: string): Promise<unknown>;
  readEntry(agentId: string, key: string): Promise<StateEntry | undefined>;
  /**
   * Every live key of an agent, from the source of truth: its PostgreSQL rows and, when the stream
   * is past PostgreSQL's newest row, the events after it. Two round trips at once (one statement,
   * shared with concurrent loads, and one stream request), plus the tail read only when there is one.
   */
  readAll(agentId: string): Promise<Record<string, unknown>>;
  hydrateAgent(agentId: string): Promise<HydrateReport>;
  /**
   * Records the reply of a command that changed no state key: appends `CommandRecorded` to
   * `agents.state.<agentId>` (fenced by `expectedLastSeq` like a write) and queues the result for
   * the flush. Resolves with the event's version once it is committed (and, with `postgres`
   * durability, in PostgreSQL).
   */
  recordCommand(agentId: string, record: CommandRecord, options?: Pick<WriteOptions, 'writer' | 'expectedLastSeq' | 'durability'>): Promise<{ readonly version: StreamPosition }>;
  flushAgent(agentId: string): Promise<FlushReport>;
  /** Flushes every dirty key now. */
  flush(): Promise<FlushReport>;
  /**
   * Sets when an agent's dirty keys are flushed (e.g. its agent type's `flushThreshold` and
   * `flushIntervalMs`); undefined goes back to the store's `flushThreshold` / `flushIntervalMs`.
   * The store is the one owner of flushing: there is no other schedule.
   */
  setFlushPolicy(agentId: string, policy: { readonly threshold?: number; readonly intervalMs?: number } | undefined): void;
  /** Number of keys written but not yet in PostgreSQL. */
  readonly dirtyCount: number;
  /** The last sequence on `agents.state.<agentId>` (0 when none): the fencing token for owners. */
  lastSequence(agentId: string): Promise<number>;
  /**
   * Tells the store that the events after `fromSeq` up to `toSeq` on the agent's subject change no
   * state key (e.g. the owner's own `OwnershipAcquired`, appended with `fromSeq` expected), so its
   * view of the agent moves forward without reading the stream. Ignored unless the view is at `fromSeq`.
   */
  advance(agentId: string, fromSeq: number, toSeq: number): void;
  shared(bucket: 'session' | 'agentConfig' | 'queryCache'): Promise<SharedStateBucket>;
  /** Registers a listener for resolved conflicts; returns an unsubscribe function. */
  onConflict(listener: (n: ConflictNotice) => void): () => void;
  /** Flushes, stops the watch and the timers. Does not close the NATS or PostgreSQL connections. */
  close(): Promise<void>;
}
