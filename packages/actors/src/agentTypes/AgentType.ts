import type { ConflictStrategy, StrategySpec } from '@mister-smith/crdt';
import type { Draft } from 'immer';
import type { TimerInfo, TimerSpec } from '../timers/TimerSpec.js';
import type { WaitInfo, WaitRequest } from '../waits/WaitRequest.js';

/** An agent's state object: each top-level key is one state key (`agents.state` row, KV entry). */
export type AgentState = Readonly<Record<string, unknown>>;

/** When a state write is acknowledged: after the JetStream append (default) or the PostgreSQL commit. */
export type AgentDurability = 'jetstream' | 'postgres';

/** What made a command run: a client, one of the agent's timers, a resume or a wait's deadline. */
export type CommandTrigger =
  | { readonly kind: 'client' }
  | { readonly kind: 'timer'; readonly timerId: string; readonly dueAt: string; /** Milliseconds after the due time. */ readonly lateMs: number }
  | { readonly kind: 'resume'; readonly requestId: string }
  | { readonly kind: 'timeout'; readonly requestId: string };

/** The agent's durable timers, as a handler manages them (changes commit with the command). */
export interface AgentTimers {
  /** Arms (or replaces) a timer; returns its id. */
  set(spec: TimerSpec): string;
  /** Cancels a timer; false when there was none. */
  cancel(timerId: string): boolean;
  list(): TimerInfo[];
}

/** The agent runtime's part of the context: timers, human-in-the-loop waits, durable steps. */
export interface RuntimeContext {
  readonly trigger: CommandTrigger;
  /** Aborted when a newer command interrupts this one (mailbox policy `interrupt`); long handlers should check it. */
  readonly signal: AbortSignal;
  readonly timers: AgentTimers;
  /**
   * Enters a wait: a pending request that `resume(agentId, requestId, value)` answers by running
   * `onResume` with `{ requestId, value, request }`; past `deadline` (or `timeoutMs`), `onTimeout`
   * runs with `{ requestId, timedOut: true, request }`. The agent may be passivated meanwhile.
   * Returns the request id.
   */
  wait(request: WaitRequest): string;
  /** The agent's pending requests. */
  waits(): WaitInfo[];
  /**
   * Runs a side effect once per command id: the result is recorded (a `StepCompleted` event on the
   * agent's subject) before the command goes on, and a re-run of the same command id (after a
   * crash or a takeover) returns the recorded result without calling `fn`. Results must be JSON.
   */
  step<T>(stepId: string, fn: () => T | Promise<T>): Promise<T>;
}

/** What a command handler can see and do besides editing its draft. */
export interface CommandContext extends RuntimeContext {
  readonly agentId: string;
  /** The client's command id, when it sent one. */
  readonly commandId: string | undefined;
  /** Who executes the command (the owning supervisor). */
  readonly writer: string;
  /**
   * Registers an Automerge edit of a `crdt` key. The recipe is applied by the state store to
   * the current stored document, so edits of concurrent writers merge instead of overwriting.
   * Several edits of one key in one command run in order.
   */
  edit<T = Record<string, unknown>>(key: string, recipe: (doc: T) => void): void;
}

/**
 * A command handler: an immer recipe over the agent's state (mutate `draft`), returning the
 * command's result (sent back to the caller); it may be async (the draft stays open until it settles). Throw `msError('INVALID_ARGUMENT', ...)` for a bad
 * payload; any other exception becomes HANDLER_FAILED and leaves the state untouched.
 */
export type CommandHandler<S extends AgentState = AgentState> = (draft: Draft<S>, payload: unknown, ctx: CommandContext) => unknown;

/** What `defineAgentType` takes. */
export interface AgentTypeDefinition<S extends AgentState = AgentState> {
  /** Type name (`[A-Za-z0-9_-]{1,64}`). */
  readonly name: string;
  /** State of an agent that has nothing stored yet. */
  readonly initialState: S;
  readonly commands: Readonly<Record<string, CommandHandler<S>>>;
  /** Conflict strategy per state key (default LWW). */
  readonly strategies?: StrategySpec;
  /** Idle time before passivation. Default: a third of the AGENT_STATE KV TTL (10 min with the seed's 30). */
  readonly idleTtlMs?: number;
  /** Dirty keys of one agent that make the state store flush it (default 50, the seed's batch size). */
  readonly flushThreshold?: number;
  /** The state store flushes a dirty agent at least this often (default 10 s). */
  readonly flushIntervalMs?: number;
  /** When writes are acknowledged (default `jetstream`). */
  readonly durability?: AgentDurability;
  /** What happens to commands that arrive while one runs (default `{ policy: 'enqueue', maxQueue: 1000 }`). */
  readonly mailbox?: MailboxPolicy;
  /** State events between two snapshots of an agent (default 200; 0: no snapshots). */
  readonly snapshotEvery?: number;
}

/**
 * Commands arriving while the agent runs one: `enqueue` waits in a bounded queue (beyond `maxQueue`
 * a typed BACKPRESSURE error), `reject` refuses with BUSY, `interrupt` cancels the queued ones and
 * tells the running handler to stop (its `ctx.signal` aborts; its command fails with INTERRUPTED
 * unless it already committed).
 */
export interface MailboxPolicy {
  readonly policy: 'enqueue' | 'reject' | 'interrupt';
  readonly maxQueue?: number;
}

/** A validated agent type, as the supervisor uses it. */
export interface AgentType<S extends AgentState = AgentState> {
  readonly name: string;
  readonly initialState: S;
  /**
   * The handlers, typed over any state here (`defineAgentType` checked them against `S`), so an
   * `AgentType<CounterState>` is usable wherever an `AgentType` is.
   */
  readonly commands: Readonly<Record<string, CommandHandler>>;
  readonly strategies: StrategySpec;
  readonly idleTtlMs: number | undefined;
  readonly flushThreshold: number;
  readonly flushIntervalMs: number;
  readonly durability: AgentDurability;
  readonly mailbox: Required<MailboxPolicy>;
  /** State events between two snapshots (absent: the supervisor's default, 200; 0: none). */
  readonly snapshotEvery?: number;
  /** Whether `name` is one of the type's commands. */
  hasCommand(name: string): boolean;
  /** The conflict strategy of a state key. */
  strategyOf(key: string): ConflictStrategy;
}
