/**
 * `@mister-smith/actors`: agents as XState v5 actors. The lifecycle machine, agent types, the
 * agent host, single-writer leases, and the supervisor that routes commands to owners.
 *
 * @packageDocumentation
 */

// Lifecycle machine
export { agentLifecycleMachine } from './lifecycle/agentLifecycleMachine.js';
export type { AgentLifecycleMachine } from './lifecycle/agentLifecycleMachine.js';
export { backoffDelay } from './lifecycle/backoffDelay.js';
export type {
  AgentLifecycleContext, AgentLifecycleEvent, AgentLifecycleInput, CommandSettlement, EvictRequest, ExecuteInput, ExecuteOutput,
  FlushInput, FlushOutput, FlushReason, HydrateInput, HydrateOutput, LifecycleConfig, PassivationReason, QueuedCommand, TransitionParams,
} from './lifecycle/lifecycleTypes.js';

// Agent types
export { defineAgentType } from './agentTypes/defineAgentType.js';
export { runCommand } from './agentTypes/runCommand.js';
export type { CommandOutcome, StateChange } from './agentTypes/runCommand.js';
export { counterAgent } from './agentTypes/counterAgent.js';
export type { CounterState } from './agentTypes/counterAgent.js';
export { notesAgent } from './agentTypes/notesAgent.js';
export type { Note, NotesDoc, NotesState } from './agentTypes/notesAgent.js';
export { assistantAgent } from './agentTypes/assistantAgent.js';
export type { AssistantState } from './agentTypes/assistantAgent.js';
export { runCommandAsync } from './agentTypes/runCommand.js';
export type { RunContext } from './agentTypes/runCommand.js';
export type {
  AgentDurability, AgentState, AgentTimers, AgentType, AgentTypeDefinition, CommandContext, CommandHandler, CommandTrigger, MailboxPolicy, RuntimeContext,
} from './agentTypes/AgentType.js';

// Agent runtime: durable timers, human-in-the-loop waits, durable steps
export type { TimerInfo, TimerSpec } from './timers/TimerSpec.js';
export type { WaitInfo, WaitRequest } from './waits/WaitRequest.js';
export type { MissedFirePolicy, RuntimeState, TimerKind, TimerRecord, WaitRecord } from './runtime/RuntimeState.js';
export { RUNTIME_KEY, runtimeOf, userStateOf } from './runtime/RuntimeState.js';
export { resumeCommandId, SYSTEM_COMMANDS } from './runtime/systemCommands.js';
export { afterFire, createTimerRecord, timerCommandId } from './timers/timerRecords.js';
export { runAgentCommand } from './runtime/runAgentCommand.js';
export type { AgentCommandEnv, AgentCommandOutcome, RuntimeChanges, StepRunner } from './runtime/runAgentCommand.js';
export type { SchedulerOptions } from './runtime/createAgentRuntime.js';
export { stepCompleted } from './steps/stepCompleted.js';
export { foldAgentState, isAtOrBefore } from './history/foldAgentState.js';
export type { FoldedState, HistoryPoint, PositionedEvent } from './history/foldAgentState.js';
export { parseHistoryPoint, readAgentAt } from './history/readAgentAt.js';
export type { AgentStateAt } from './history/readAgentAt.js';
export { foldHistory } from './history/foldHistory.js';
export type { HistoryDeps, HistoryFold } from './history/foldHistory.js';
export { snapshotAgent } from './history/snapshotAgent.js';
export type { SnapshotOutcome } from './history/snapshotAgent.js';
export { createSnapshotter, DEFAULT_SNAPSHOT_EVERY } from './history/createSnapshotter.js';
export type { Snapshotter } from './history/createSnapshotter.js';
export type { StepCompleted, StepCompletedData } from './steps/stepCompleted.js';

// Agent host
export { createAgentHost } from './host/createAgentHost.js';
export type {
  AgentEffects, AgentHost, AgentHostOptions, CommandOptions, CommandReply, HostClock, LifecycleTransition, ResidentAgent,
} from './host/AgentHost.js';

// Leases
export { createLeaseManager } from './leases/createLeaseManager.js';
export type { LeaseManagerOptions } from './leases/createLeaseManager.js';
export type { HeldLease, LeaseLossReason, LeaseManager, LeaseOwner } from './leases/LeaseManager.js';

// Supervisor
export { createSupervisor } from './supervisor/createSupervisor.js';
export type {
  AgentListing, AgentView, ForkResult, RestoreResult, SpawnResult, Supervisor, SupervisorCommandOptions, SupervisorObserver, SupervisorOptions,
} from './supervisor/Supervisor.js';
export { createStoreEffects } from './supervisor/createStoreEffects.js';
export type { StoreEffects, StoreEffectsDeps } from './supervisor/createStoreEffects.js';
export { CommandIndex } from './supervisor/CommandIndex.js';
export type { IndexedCommand } from './supervisor/CommandIndex.js';
export { lastStateEvent } from './supervisor/lastStateEvent.js';
export type { LastStateEvent } from './supervisor/lastStateEvent.js';
export { ownerSubject } from './supervisor/ownerRpc.js';
export type { OwnerRequest } from './supervisor/ownerRpc.js';

// Request/reply envelope
export { errorReply, okReply, parseRequest, unwrapReply } from './rpc/rpcEnvelope.js';
export type { RpcReply } from './rpc/rpcEnvelope.js';

// Benchmark section (`pnpm bench`)
export { benchActors } from './bench/actorBench.js';
export { benchTimers } from './bench/timerBench.js';
export type { TimerBenchOptions } from './bench/timerBench.js';
export type { ActorBenchEnv, ActorBenchFigure, ActorBenchOptions } from './bench/actorBench.js';
