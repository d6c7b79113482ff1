import type { DatabaseHandle, FlushReport, LifecycleState, Logger, NatsHandle, StateStore, StateStoreOptions, StreamPosition, Topology } from '@mister-smith/core';
import type { AgentState, AgentType } from '../agentTypes/AgentType.js';
import type { CommandReply, LifecycleTransition } from '../host/AgentHost.js';
import type { AgentStateAt } from '../history/readAgentAt.js';
import type { SchedulerOptions } from '../runtime/createAgentRuntime.js';
import type { TimerInfo, TimerSpec } from '../timers/TimerSpec.js';
import type { WaitInfo } from '../waits/WaitRequest.js';

/** Hooks for logs and metrics (all optional, all synchronous, none may throw). */
export interface SupervisorObserver {
  onTransition?(t: LifecycleTransition): void;
  onFlush?(agentId: string, report: FlushReport, durationMs: number): void;
  onRestart?(agentId: string, info: { attempt: number; error: unknown; gaveUp: boolean }): void;
  onStaleOwner?(agentId: string, takenBy: string | undefined): void;
  onLeaseLost?(agentId: string, reason: string): void;
  onForward?(agentId: string, to: string): void;
}

/** Options of `createSupervisor`. */
export interface SupervisorOptions {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  /** The state plane; created (and closed on stop) when absent. */
  readonly stateStore?: StateStore;
  /** Options of the state store created when `stateStore` is absent. */
  readonly stateStoreOptions?: StateStoreOptions;
  /** Default `sup-<random>`. A subject token: no dots, spaces or wildcards. */
  readonly supervisorId?: string;
  readonly agentTypes: readonly AgentType[];
  /** Lease duration; default (and normally) the AGENT_LEASES bucket TTL. */
  readonly leaseTtlMs?: number;
  /** Lease renewal period (default a third of `leaseTtlMs`). */
  readonly leaseRenewIntervalMs?: number;
  /** Heartbeat period of `agents.heartbeat.<supervisorId>` (default 5 s). */
  readonly heartbeatIntervalMs?: number;
  /** Restarts per agent within `restartWindowMs` before giving up (default 5 per minute). */
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
  readonly restartBackoffMs?: number;
  /** Hydration and flush retries before giving up (default 4 each), backoff base/max (100 ms / 5 s). */
  readonly hydrateRetries?: number;
  readonly flushRetries?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Idle TTL of agent types that set none (default: a third of the AGENT_STATE KV TTL). */
  readonly defaultIdleTtlMs?: number;
  /** Timeout of a command forwarded to the owning supervisor (default 10 s). */
  readonly forwardTimeoutMs?: number;
  /**
   * How long a command id is remembered: a retry within it gets the first reply (default 24 h).
   * Command results older than this are pruned from `mister_smith.command_results`.
   */
  readonly commandWindowMs?: number;
  /** How long `stop()` waits for the agents' shutdown flushes (default 30 s). */
  readonly stopTimeoutMs?: number;
  readonly logger?: Logger;
  readonly observer?: SupervisorObserver;
  /** The namespace's timer scheduler candidate in this supervisor (one is elected; it wakes COLD agents whose timers are due). */
  readonly scheduler?: SchedulerOptions;
  /** Snapshots every N state events of an agent (default: every 200, or the agent type's `snapshotEvery`; `{ every: 0 }` turns them off). */
  readonly snapshots?: { readonly every?: number };
}

/** What `fork` returns. */
export interface ForkResult {
  readonly agentId: string;
  readonly agentType: string;
  readonly forkedFrom: { readonly agentId: string; readonly revision: number; readonly at: string };
  readonly state: Readonly<Record<string, unknown>>;
  readonly complete: boolean;
}

/** What `restoreTo` returns. */
export interface RestoreResult {
  readonly agentId: string;
  /** The revision the state was taken from (the last event at or before `at`) and the point asked for. */
  readonly restoredTo: { readonly revision: number; readonly at: string };
  readonly state: Readonly<Record<string, unknown>>;
  readonly complete: boolean;
}

/** What `spawn` returns. */
export interface SpawnResult {
  readonly agentId: string;
  readonly agentType: string;
  readonly lifecycle: LifecycleState;
  /** The supervisor the agent is ACTIVE in. */
  readonly supervisorId: string;
}

/** What `get` returns. */
export interface AgentView {
  readonly agentId: string;
  readonly agentType: string;
  /** Lifecycle where the state was read (the owner's, or `COLD`/`EXPIRED` when nobody holds it). */
  readonly lifecycle: LifecycleState;
  readonly supervisorId: string | null;
  /** The whole state (without `key`). */
  readonly state?: AgentState;
  /** The value of `key` (with `key`). */
  readonly key?: string;
  readonly value?: unknown;
  /** Armed timers (without `key`). */
  readonly timers?: number;
  /** Ids of pending human-in-the-loop requests (without `key`). */
  readonly waits?: readonly string[];
  /** Commands queued behind the running one (without `key`; 0 unless ACTIVE here). */
  readonly queueDepth?: number;
}

/** One agent of `list`. */
export interface AgentListing {
  readonly agentId: string;
  readonly agentType: string;
  readonly lifecycle: LifecycleState;
  readonly supervisorId: string | null;
  /** True when the agent lives in this supervisor's memory. */
  readonly resident: boolean;
}

/** Options of a command sent through the supervisor. */
export interface SupervisorCommandOptions {
  /** The command's id (default: generated, returned in the reply). A retry with it never runs twice. */
  readonly commandId?: string;
  readonly base?: StreamPosition;
}

/**
 * Spawns, routes and supervises agent actors (see `createSupervisor`). Every operation may be
 * called on any supervisor of a namespace: one that does not own the agent forwards to the owner
 * or takes an expired lease over.
 */
export interface Supervisor extends AsyncDisposable {
  readonly supervisorId: string;
  readonly stateStore: StateStore;
  /** Registers the agent (`agents.registry`) and makes it ACTIVE. */
  spawn(agentType: string, agentId?: string, options?: { readonly metadata?: Record<string, unknown> }): Promise<SpawnResult>;
  /** Runs a command on the agent's owner; activates a COLD or EXPIRED agent first. */
  command(agentId: string, command: string, payload?: unknown, options?: SupervisorCommandOptions): Promise<CommandReply>;
  /** The agent's timers, earliest first (without activating it). */
  timers(agentId: string): Promise<TimerInfo[]>;
  /** Arms (or replaces) a timer of the agent through its owner. */
  setTimer(agentId: string, spec: TimerSpec): Promise<TimerInfo>;
  /** Cancels a timer of the agent through its owner. */
  cancelTimer(agentId: string, timerId: string): Promise<{ readonly timerId: string; readonly cancelled: boolean }>;
  /**
   * Answers a pending request (command id `resume:<requestId>`, so a retried resume runs once):
   * runs the wait's `onResume` command with `{ requestId, value, request }`. NOT_FOUND when the
   * request is not pending (answered, timed out, never opened).
   */
  resume(agentId: string, requestId: string, value: unknown): Promise<CommandReply>;
  /** Pending requests across the fleet (or of one agent), oldest first. */
  waiting(options?: { readonly agentId?: string; readonly limit?: number }): Promise<WaitInfo[]>;
  /**
   * The agent's state as of a revision (stream sequence) or an ISO-8601 time, folded from the
   * PostgreSQL archive and the stream (see `foldAgentState`).
   */
  getAt(agentId: string, at: string | number): Promise<AgentStateAt>;
  /**
   * A new agent of the same type whose state starts from the source's state at `at` (timers and
   * pending requests are not copied); its registry metadata links it to the source and revision.
   */
  fork(agentId: string, at: string | number, newAgentId: string): Promise<ForkResult>;
  /**
   * Writes one state key through the agent's owner (activating it when COLD), as a command: queued
   * behind its running command, fenced like its own writes, merged by the key's strategy. What
   * operators use instead of writing the state plane beside a live owner.
   */
  setKey(agentId: string, key: string, value: unknown, options?: SupervisorCommandOptions): Promise<CommandReply>;
  /**
   * Point-in-time restore: returns the agent's state to what it was at `at` (a revision or a time),
   * through its owner, as state events (history stays whole; replays reproduce it). Keys added
   * since are deleted. `commandId` makes a retry a no-op (generated when omitted).
   */
  restoreTo(agentId: string, at: string | number, options?: { readonly commandId?: string }): Promise<RestoreResult>;
  /** The agent's state (or one key) without activating it. */
  get(agentId: string, key?: string): Promise<AgentView>;
  /** Flushes and expires the agent wherever it is ACTIVE. */
  stopAgent(agentId: string): Promise<{ readonly agentId: string; readonly lifecycle: LifecycleState }>;
  /** Agents in this supervisor's memory plus those `agents.registry` knows (COLD ones included). */
  list(options?: { readonly state?: LifecycleState; readonly limit?: number }): Promise<AgentListing[]>;
  /** Lifecycle of a resident agent. */
  lifecycleOf(agentId: string): LifecycleState | undefined;
  /** Commands waiting in the resident agents' mailboxes (behind the running ones). */
  queuedCommands(): number;
  /** Resident agents with a timer armed in this process. */
  armedTimers(): number;
  /** Resident agents per lifecycle state. */
  counts(): Record<LifecycleState, number>;
  /** Dirty keys: counted by the agents and waiting in the state store. */
  dirtyKeys(): number;
  /** Flushes every agent and the state store now. */
  flush(): Promise<void>;
  /**
   * Flushes every agent, publishes their transitions, releases the leases and drains; closes the
   * state store if it created it. The NATS and PostgreSQL connections stay open (the caller's).
   */
  stop(): Promise<void>;
}
