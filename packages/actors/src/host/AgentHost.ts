import type { LifecycleState, StreamPosition } from '@mister-smith/core';
import type { AgentState, AgentType } from '../agentTypes/AgentType.js';
import type { ExecuteInput, ExecuteOutput, FlushInput, HydrateInput, HydrateOutput, LifecycleConfig } from '../lifecycle/lifecycleTypes.js';

/** One lifecycle change, as the host reports it. */
export interface LifecycleTransition {
  readonly agentId: string;
  readonly agentType: string;
  readonly supervisorId: string;
  readonly from: LifecycleState;
  readonly to: LifecycleState;
  readonly reason: string;
}

/** The effects the host injects into every agent's lifecycle machine. */
export interface AgentEffects {
  /** Takes ownership and loads the agent's state. */
  hydrate(input: HydrateInput): Promise<HydrateOutput>;
  /** Runs one command and persists what it changed. */
  execute(input: ExecuteInput): Promise<ExecuteOutput>;
  /** Writes the agent's dirty state to PostgreSQL. */
  flush(input: FlushInput): Promise<unknown>;
  /** Every lifecycle transition (publish it, count it, release leases...). Must not throw. */
  transition(t: LifecycleTransition): void;
}

/** The answer to a command. */
export interface CommandReply {
  readonly agentId: string;
  /** The command's id: the caller's, or the one generated for it (retry with it to get this reply again). */
  readonly commandId: string;
  /** What the handler returned. */
  readonly result: unknown;
  /** Version of the last state event the command appended (absent when it changed nothing). */
  readonly version?: StreamPosition | undefined;
  readonly changedKeys: readonly string[];
  /** True when this is the recorded reply of a command id that already ran (nothing ran again). */
  readonly duplicate?: boolean;
}

/** Options of one command. */
export interface CommandOptions {
  /**
   * Client command id: a repeated id gets the first reply instead of running twice, across owner
   * crashes, takeovers, passivation and restarts (within the dedup window). Generated when absent.
   */
  readonly commandId?: string | undefined;
  /** The version the client read before deciding on the command. */
  readonly base?: StreamPosition | undefined;
}

/** An agent resident in the host. */
export interface ResidentAgent {
  readonly agentId: string;
  readonly agentType: string;
  readonly lifecycle: LifecycleState;
}

/** Timer functions the host and its machines use (XState's `Clock`); inject a simulated one in tests. */
export interface HostClock {
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** Options of `createAgentHost`. */
export interface AgentHostOptions {
  readonly supervisorId: string;
  readonly agentTypes: readonly AgentType[];
  /** The lifecycle settings of a type (idle TTL, flush threshold, retries). */
  readonly lifecycleOf: (type: AgentType) => LifecycleConfig;
  readonly effects: AgentEffects;
  readonly clock?: HostClock;
  /** Restarts allowed per agent within `restartWindowMs` before the host gives up on it (default 5). */
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
  /** First restart delay, doubled per restart in the window (default 100 ms, at most 10 s). */
  readonly restartBackoffMs?: number;
  /** Called when a crashed agent is restarted, or given up on (`gaveUp`). */
  readonly onRestart?: (agentId: string, info: { attempt: number; error: unknown; gaveUp: boolean }) => void;
  /** How many passivated agent ids the host remembers to report EXPIRED -> HYDRATING (default 100,000). */
  readonly rememberExpired?: number;
}

/**
 * Runs agent actors in one process: creates them on demand, serialises their commands, evicts
 * passivated ones from memory, restarts crashed ones within a budget. Knows nothing about NATS:
 * ownership, persistence and publishing are the injected `effects`.
 */
export interface AgentHost extends AsyncDisposable {
  /** Runs a command, activating (or re-activating) the agent first when needed. */
  command(agentId: string, type: AgentType, name: string, payload: unknown, options?: CommandOptions): Promise<CommandReply>;
  /** Activates the agent (no-op when ACTIVE); rejects with the hydration error (e.g. NOT_OWNER). */
  activate(agentId: string, type: AgentType): Promise<void>;
  /** Flushes and expires a resident agent (explicit stop); resolves once it is EXPIRED. */
  passivate(agentId: string): Promise<LifecycleState | undefined>;
  /** Leaves ACTIVE once the running command ends (lease lost, stale owner); queued commands get `error`. */
  evict(agentId: string, reason: string, error: unknown): void;
  /** Asks every resident agent to flush now. */
  flushAll(): void;
  lifecycleOf(agentId: string): LifecycleState | undefined;
  /** Commands waiting behind the running one. */
  queueDepth(agentId: string): number;
  /** The state of a resident agent (undefined unless ACTIVE or FLUSHING). */
  stateOf(agentId: string): AgentState | undefined;
  /** Resident agents' type names. */
  typeOf(agentId: string): string | undefined;
  residents(): IterableIterator<ResidentAgent>;
  counts(): Record<LifecycleState, number>;
  /** Dirty keys counted by the resident agents' machines. */
  dirtyKeys(): number;
  readonly size: number;
  /** Shuts every agent down (flush, EXPIRED), waits for them, stops the actors and timers. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}
