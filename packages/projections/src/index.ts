/**
 * `@mister-smith/projections`: materializes the streams into PostgreSQL and KV. A projection
 * runner with checkpoints (one instance at a time, exactly-once effect), the built-in projections
 * (agent registry, agent state, task view, event archive), rebuild by replay (archive + stream,
 * shadow tables), and the consumers of seed 6.3 (task processor, monitor, message batches).
 *
 * @packageDocumentation
 */

// Types
export type { Projection, ProjectionContext, ProjectionStreamKey, ProjectionTransaction } from './types/Projection.js';
export type { ProjectionEvent, ProjectionItem } from './types/ProjectionItem.js';
export type { ProjectionState, ProjectionStatus, RebuildProgress } from './types/ProjectionStatus.js';
export type { ProjectionLogger } from './runner/ProjectionLogger.js';
export type { RunnerDeps, RunnerHooks, RunnerOptions } from './runner/ProjectionRunner.js';
export type { ProjectionHost } from './host/createProjectionHost.js';
export type { StreamReader, StreamReaderOptions } from './read/openStreamReader.js';
export type { LiveControl, RebuildDeps, RebuildOptions, RebuildReport, SequenceGap } from './rebuild/rebuildProjection.js';
export type { Checkpoint, CheckpointRecord } from './pg/checkpoints.js';
export type { DeadLetter } from './pg/deadLetters.js';
export type { AgentStateProjectionOptions } from './projections/agentStateProjection.js';
export type { BuiltinProjectionOptions } from './projections/builtinProjections.js';
export type { TaskDelivery, TaskHandler, TaskProcessor, TaskProcessorOptions, TaskProcessorStats } from './consumers/startTaskProcessor.js';
export type { EventMonitor, MonitorOptions } from './consumers/monitorAgentState.js';
export type { MessageBatchHandler, MessageBatchProcessor, MessageBatchProcessorOptions } from './consumers/startMessageBatchProcessor.js';

// Runner, host and rebuild
export { ProjectionRunner } from './runner/ProjectionRunner.js';
export { silentLogger } from './runner/ProjectionLogger.js';
export { createProjectionHost } from './host/createProjectionHost.js';
export { rebuildProjection } from './rebuild/rebuildProjection.js';
export { readCheckpoint } from './pg/checkpoints.js';
export { discardDeadLetter, listDeadLetters, replayDeadLetter, showDeadLetter } from './deadletters/deadLetterOps.js';
export type { DeadLetterDetail, DeadLetterEntry, ReplayOutcome } from './deadletters/deadLetterOps.js';
export { shadowNameOf } from './pg/shadowTables.js';

// Archive retention
export { pruneArchive } from './retention/pruneArchive.js';
export type { PruneOptions, PruneProgress, PruneReport } from './retention/pruneArchive.js';
export { assertRetentionPolicy, parseRetentionDuration } from './retention/RetentionPolicy.js';
export type { RetentionPolicy } from './retention/RetentionPolicy.js';
export { createRetentionJob, retentionFromEnv } from './retention/createRetentionJob.js';
export type { RetentionJob, RetentionJobOptions } from './retention/createRetentionJob.js';

// Built-in projections
export { agentRegistryProjection } from './projections/agentRegistryProjection.js';
export { agentStateProjection } from './projections/agentStateProjection.js';
export { taskViewProjection } from './projections/taskViewProjection.js';
export { archiveProjectionName, eventArchiveProjection } from './projections/eventArchiveProjection.js';
export { builtinProjections, streamSubjects } from './projections/builtinProjections.js';
export { agentOfItem, skipErasedAgents } from './projections/skipErasedAgents.js';

// Consumers of seed 6.3
export { startTaskProcessor } from './consumers/startTaskProcessor.js';
export { monitorAgentState } from './consumers/monitorAgentState.js';
export { startMessageBatchProcessor } from './consumers/startMessageBatchProcessor.js';
export { RateLimiter } from './consumers/RateLimiter.js';
