export { MisterSmithError, msError } from './errors/MisterSmithError.js';
export type { ErrorCode } from './errors/MisterSmithError.js';

export {
  agentKvKey, assertAgentId, assertKvKey, assertNamespace, assertStateKey, assertSubject, assertSubjectToken, parseAgentKvKey,
} from './config/identifiers.js';
export { loadConfig, redactUrl } from './config/loadConfig.js';
export type { MisterSmithConfig, NatsConnectionConfig } from './config/loadConfig.js';
export { buildTopology, largeValuesBucketName, namespacedName, namespacedSubject } from './config/topology.js';
export type { BucketSpec, ConsumerSpec, ObjectStoreSpec, StreamSpec, Topology, TopologyOptions, TopologyProfile } from './config/topology.js';

export { connectNats } from './nats/connectNats.js';
export type { ConnectNatsOptions, NatsHandle, NatsStatusEvent } from './nats/connectNats.js';
export { featureGates, parseServerVersion } from './nats/featureGates.js';
export type { FeatureGates, ServerVersion } from './nats/featureGates.js';
export { classifyNatsError, isTransientNatsError, jsApiCode, JsCodes } from './nats/natsErrors.js';
export { deprovision, provision } from './nats/provision.js';
export type { ProvisionReport } from './nats/provision.js';
export { bucketStreamConfigOf, consumerConfigOf, objectStoreStreamConfigOf, streamConfigOf } from './nats/streamConfigs.js';

export { CURRENT_SCHEMA_VERSION, compareVersions } from './events/EventEnvelope.js';
export type { Event, EventEnvelope, RecordedEvent, StreamPosition } from './events/EventEnvelope.js';
export { createEvent, newId } from './events/createEvent.js';
export type { CreateEventInput } from './events/createEvent.js';
export { decodeEvent, encodeEvent, validateEnvelope } from './events/eventCodec.js';
export { latestSchemaVersion, registerUpcaster, upcastEvent } from './events/upcasters.js';
export type { Upcaster } from './events/upcasters.js';

export type { AppendOptions, AppendResult, EventLog, EventSubscription, LogItem, ReadOptions, StartAt } from './eventlog/EventLog.js';
export { JetStreamEventLog } from './eventlog/JetStreamEventLog.js';
export type { JetStreamEventLogOptions } from './eventlog/JetStreamEventLog.js';

export type { CasOptions, CasResolve, CasResult, KvItem, KvPayload, KvStore, KvWatch } from './kv/KvStore.js';
export { JetStreamKvStore, jsonPayload } from './kv/JetStreamKvStore.js';

export { createDatabase, frameworkTransaction } from './pg/createDatabase.js';
export type { DatabaseHandle } from './pg/createDatabase.js';
export { migrateToLatest, migrations, pendingMigrations } from './pg/migrateToLatest.js';
export type { MigrationReport } from './pg/migrateToLatest.js';
export type { Database, AgentRegistryTable, AgentStateTable, TaskQueueTable, CheckpointTable, ErasedAgentTable, EventArchiveTable, DeadLetterTable, OutboxTable, TaskViewTable, CommandResultTable, AgentTimerTable, AgentWaitTable, AgentSnapshotTable } from './pg/schema.js';
export { upsertStateRows } from './pg/upsertStateRows.js';
export { SessionLock, SESSION_LOCK_CLASS } from './pg/SessionLock.js';
export { pgFailure } from './pg/pgFailure.js';
export type { SessionLockKey, SessionLockOptions } from './pg/SessionLock.js';
export { agentOfSubject, erasedAmong } from './pg/erasedAgents.js';
export { recordCommandResults } from './pg/recordCommandResults.js';
export { findCommandResult, loadCommandResults, loadCommandResultsOf, pruneCommandResults } from './pg/readCommandResults.js';
export { commandDigest } from './commands/commandDigest.js';
export { commandRecorded, commandResultOf } from './commands/commandRecorded.js';
export type { CommandRecorded, CommandRecordedData } from './commands/commandRecorded.js';
export type { CommandRecord, CommandResult, RecordedReply } from './commands/CommandResult.js';
export type { StateRow, UpsertReport } from './pg/upsertStateRows.js';

// Local (embedded) servers live on the `@mister-smith/core/embedded` subpath.
export type { StartStackOptions } from './embedded/startLocalStack.js';
export { openMisterSmith } from './stack/openMisterSmith.js';
export type { OpenMisterSmithOptions } from './stack/openMisterSmith.js';
export type { Stack } from './stack/Stack.js';

export { AsyncQueue } from './util/AsyncQueue.js';

export { asStateChanged, asStateEditedInSql, ownershipAcquired, stateChanged, stateSubject } from './state/stateEvents.js';
export type { AgentStateEvent, OwnershipAcquired, OwnershipAcquiredData, StateChanged, StateChangedData, StateEditedInSql, StateEditedInSqlData, StrategyName } from './state/stateEvents.js';
export { decodeKvStateEntry, encodeKvStateEntry } from './state/kvStateEntry.js';
export type { KvStateEntry } from './state/kvStateEntry.js';
export { LIFECYCLE_STATES, lifecycleChanged, supervisorHeartbeat } from './state/lifecycleEvents.js';
export type { AgentLifecycleChanged, AgentLifecycleChangedData, LifecycleState, SupervisorHeartbeat, SupervisorHeartbeatData } from './state/lifecycleEvents.js';
export { TASK_PHASES, taskEventType } from './state/taskEvents.js';
export type { TaskEvent, TaskEventData, TaskPhase, TaskStatus } from './state/taskEvents.js';
export { writeKvForward } from './state/writeKvForward.js';
export { writeStateToKv } from './state/writeStateToKv.js';
export type { LargeValueParts } from './state/writeStateToKv.js';
export {
  DEFAULT_LARGE_VALUE_LIMITS, InMemoryLargeValues, JetStreamLargeValues, agentObjectPrefix, externalizeValue, fetchLargeValue, isLargeValueRef, isUnresolved,
  largeValueLimits, oversizedJson, resolveEntry, resolveEventValue, resolveStateChangedData, storeLargeValue,
} from './state/largeValues.js';
export type { Externalized, LargeValueLimits, LargeValueRef, LargeValueStore } from './state/largeValues.js';
export { resolveLogItem, resolvingEventLog } from './state/resolvingEventLog.js';
export { storedForEvent, storedFromEvent } from './state/crdtEventStored.js';
export type { ForwardWriteOutcome } from './state/writeKvForward.js';
export { createStateStore } from './state/createStateStore.js';
export type { StateStoreDeps } from './state/createStateStore.js';
export { openStateStoreParts } from './state/openStateStoreParts.js';
export type { SharedBucketName, StateStoreParts } from './state/StateStoreParts.js';
export type { StateRepository } from './state/StateRepository.js';
export { PostgresStateRepository } from './state/PostgresStateRepository.js';
export type { VersionedValue } from './state/VersionedValue.js';
export type { ConflictNotice, Durability, FlushReport, HydrateReport, SharedStateBucket, StateEntry, StateStore, StateStoreOptions, WriteOptions, WriteResult } from './state/StateStore.js';
export { openSharedBucket } from './state/openSharedBucket.js';
export { recoverFromStream } from './state/recoverFromStream.js';
export type { RecoveredEntry } from './state/recoverFromStream.js';
export { createLogger, silentLogger } from './observability/createLogger.js';
export type { Logger } from './observability/createLogger.js';
export { createRegistry, stateMetrics } from './observability/coreMetrics.js';
export type { StateMetrics } from './observability/coreMetrics.js';
export { subscribe } from './subscribe/subscribe.js';
export type { GapItem, SubjectFamily, SubscribeFrom, SubscribeOptions, Subscription, SubscriptionItem } from './subscribe/subscribe.js';
export { archivedEpochs, readArchive } from './pg/readArchive.js';
export { latestAgentSnapshot, writeAgentSnapshot } from './snapshots/agentSnapshots.js';
export type { AgentSnapshot, SnapshotPoint } from './snapshots/AgentSnapshot.js';
export type { ArchivedMessage, ReadArchiveOptions } from './pg/readArchive.js';
export { retryTransient } from './nats/retryTransient.js';
export { subjectMatcher, subjectMatches, subjectMatchesAny } from './config/subjectMatches.js';
export { serveMetrics } from './observability/serveMetrics.js';
export type { MetricsServer } from './observability/serveMetrics.js';
export { runService } from './service/runService.js';
export type { RoleContext, RunningRole, ServiceProcessOptions, StartedRole } from './service/runService.js';
