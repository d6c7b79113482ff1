import type { LifecycleState, StreamPosition } from '@mister-smith/core';
import type { AgentState } from '../agentTypes/AgentType.js';

/** Timing and retry settings of one agent's lifecycle (shared by every agent of a type). */
export interface LifecycleConfig {
  /** Idle time after which an ACTIVE agent is flushed and EXPIRED. */
  readonly idleTtlMs: number;
  /** Retries of a failed hydration before the agent gives up (EXPIRED, reason `hydrate-failed`). */
  readonly hydrateRetries: number;
  /** Retries of a failed flush before the agent gives up (EXPIRED, reason `flush-failed`). */
  readonly flushRetries: number;
  /** First retry delay; doubles per attempt up to `backoffMaxMs`. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** A command waiting in (or running at the head of) an agent's queue. */
export interface QueuedCommand {
  /** Host-local handle used to settle the caller's promise. */
  readonly ticket: number;
  readonly name: string;
  readonly payload: unknown;
  /** Client command id (deduplicated by the owner, carried in the state events). */
  readonly commandId?: string | undefined;
  /** The version the client based the command on; the keys' strategies merge when it is stale. */
  readonly base?: StreamPosition | undefined;
}

/** Input of the injected `hydrate` actor. */
export interface HydrateInput {
  readonly agentId: string;
  readonly agentType: string;
  /** 0 for the first attempt. */
  readonly attempt: number;
}

/** Output of `hydrate`: the agent's state and the fencing token (sequence of its OwnershipAcquired). */
export interface HydrateOutput {
  readonly state: AgentState;
  readonly fenceSeq: number;
}

/** Input of the injected `execute` actor: one command against the current state. */
export interface ExecuteInput {
  readonly agentId: string;
  readonly agentType: string;
  readonly state: AgentState;
  readonly fenceSeq: number;
  readonly command: QueuedCommand;
  /** Aborted when the mailbox policy `interrupt` asks the running command to stop. */
  readonly signal?: AbortSignal;
}

/** Output of `execute`: the committed state and the new fencing token. */
export interface ExecuteOutput {
  readonly state: AgentState;
  readonly fenceSeq: number;
  /** What the handler returned. */
  readonly result: unknown;
  /** State keys written (put or delete) by the command. */
  readonly changedKeys: readonly string[];
  /** Version of the last event the command appended, if it wrote anything. */
  readonly version?: StreamPosition | undefined;
  /** The command id had run already: this is its recorded reply and nothing changed. */
  readonly duplicate?: boolean;
  /**
   * The command's effect is committed (the state moves on) but the caller gets this error, e.g.
   * COMMITTED_NOT_FLUSHED when `postgres` durability could not reach PostgreSQL.
   */
  readonly error?: unknown;
}

/** Input of the injected `flush` actor. */
export interface FlushInput {
  readonly agentId: string;
  readonly agentType: string;
  readonly reason: FlushReason;
  readonly attempt: number;
}

/** What the flush actor reports (free-form; the machine only needs completion). */
export type FlushOutput = unknown;

/**
 * Why the machine flushes: passivation (the FLUSHING lifecycle step before EXPIRED) or a manual
 * `FLUSH`. Flushing on a threshold or an interval is the state store's (the one flush owner),
 * driven by the agent type's `flushThreshold` and `flushIntervalMs`, and is no lifecycle change.
 */
export type FlushReason = 'manual' | PassivationReason;

/** Why an agent passivates: idle TTL, an explicit stop, or supervisor shutdown. */
export type PassivationReason = 'idle' | 'stop' | 'shutdown';

/** Pending eviction: the agent leaves ACTIVE as soon as no command is running. */
export interface EvictRequest {
  readonly reason: string;
  readonly error: unknown;
}

/** Input of the lifecycle machine. */
export interface AgentLifecycleInput {
  readonly agentId: string;
  readonly agentType: string;
  readonly supervisorId: string;
  readonly config: LifecycleConfig;
  /** Start in EXPIRED instead of COLD (an agent that was passivated earlier in this process). */
  readonly startsExpired?: boolean;
}

/** Context of the lifecycle machine. */
export interface AgentLifecycleContext {
  readonly agentId: string;
  readonly agentType: string;
  readonly supervisorId: string;
  readonly config: LifecycleConfig;
  /** The lifecycle state last published. */
  readonly lifecycle: LifecycleState;
  /** The agent's state object while ACTIVE (undefined otherwise). */
  readonly state: AgentState | undefined;
  readonly fenceSeq: number;
  readonly queue: readonly QueuedCommand[];
  readonly dirtyKeys: readonly string[];
  readonly flushingKeys: readonly string[];
  readonly hydrateAttempts: number;
  readonly flushAttempts: number;
  readonly flushReason: FlushReason | undefined;
  /** Set while the agent should passivate once idle. */
  readonly passivation: PassivationReason | undefined;
  /** A stop requested before the agent was ACTIVE. */
  readonly stopReason: 'stop' | 'shutdown' | undefined;
  readonly evict: EvictRequest | undefined;
}

/** Events the lifecycle machine accepts. */
export type AgentLifecycleEvent =
  | { readonly type: 'ACTIVATE'; readonly reason?: string }
  | { readonly type: 'COMMAND'; readonly command: QueuedCommand }
  | { readonly type: 'FLUSH' }
  | { readonly type: 'STOP' }
  | { readonly type: 'SHUTDOWN' }
  | { readonly type: 'EVICT'; readonly reason: string; readonly error: unknown }
  | { readonly type: 'DROP_QUEUED'; readonly error: unknown };

/** Parameters of the injected `publishTransition` action. */
export interface TransitionParams {
  readonly from: LifecycleState;
  readonly to: LifecycleState;
  readonly reason: string;
}

/** Parameters of the injected `settleCommand` action. */
export type CommandSettlement =
  | { readonly ticket: number; readonly ok: true; readonly output: ExecuteOutput }
  | { readonly ticket: number; readonly ok: false; readonly error: unknown };
