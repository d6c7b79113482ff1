/**
 * `@mister-smith/cli`: the `mister-smith` command line. Every command is also a function with the
 * same name, taking the command's options and returning what it printed.
 *
 * @packageDocumentation
 */

// The command line
export { createProgram, runCli } from './program.js';
export type { CliIo } from './program.js';
export { CliError } from './cli/CliError.js';
export type { CliErrorCode } from './cli/CliError.js';
export { exitCodeOf, formatError } from './cli/formatError.js';
export { createOutput } from './cli/Output.js';
export type { Output, OutputStreams } from './cli/Output.js';

// Connections of one-shot commands
export { DEFAULT_NATS_URL, resolveConnection } from './connection/resolveConnection.js';
export type { ResolvedConnection } from './connection/resolveConnection.js';
export { openClients } from './connection/openClients.js';
export type { Clients, OpenClientsOptions } from './connection/openClients.js';
export { readStackFile, stackFilePath } from './connection/stackFile.js';
export type { StackFile } from './connection/stackFile.js';
export { resolveBucket } from './connection/resolveBucket.js';
export { requestService, serviceSubject } from './connection/requestService.js';
export type { ServiceName } from './connection/requestService.js';

// Running roles in one process
export { ROLES, startRoles } from './runtime/startRoles.js';
export type { Role, RunningRoles, StartRolesOptions } from './runtime/startRoles.js';
export { startDemoFleet } from './runtime/startDemoFleet.js';
export type { DemoFleet, DemoFleetOptions, DemoStats } from './runtime/startDemoFleet.js';
export { runStack } from './runtime/runStack.js';
export type { RunStackOptions } from './runtime/runStack.js';
export { createStatusSampler, formatStatus } from './runtime/sampleStatus.js';
export type { DemoFigures, StatusSample, StatusSampler } from './runtime/sampleStatus.js';

// Commands
export { up } from './commands/up.js';
export type { UpOptions } from './commands/up.js';
export { runRole } from './commands/runRole.js';
export type { RoleOptions } from './commands/runRole.js';
export { migrate } from './commands/migrate.js';
export type { MigrateOptions, MigrateResult } from './commands/migrate.js';
export { agentsSpawn } from './commands/agentsSpawn.js';
export type { AgentsSpawnOptions } from './commands/agentsSpawn.js';
export { agentsList } from './commands/agentsList.js';
export type { AgentsListOptions } from './commands/agentsList.js';
export { agentsGet } from './commands/agentsGet.js';
export type { AgentsGetOptions, AgentStateView } from './commands/agentsGet.js';
export { agentsSet } from './commands/agentsSet.js';
export type { AgentsSetOptions, AgentsSetResult } from './commands/agentsSet.js';
export { agentsCommand } from './commands/agentsCommand.js';
export type { AgentsCommandOptions, AgentsCommandResult } from './commands/agentsCommand.js';
export { agentsStop } from './commands/agentsStop.js';
export type { AgentsStopOptions } from './commands/agentsStop.js';
export { agentsHistory } from './commands/agentsHistory.js';
export type { AgentsHistoryOptions, HistoryEntry } from './commands/agentsHistory.js';
export { eventsTail } from './commands/eventsTail.js';
export type { EventsTailOptions, EventsTailResult } from './commands/eventsTail.js';
export { projectionsStatus, readProjectionStatuses } from './commands/projectionsStatus.js';
export type { ProjectionStatusView, ProjectionsStatusOptions } from './commands/projectionsStatus.js';
export { projectionsRebuild } from './commands/projectionsRebuild.js';
export type { ProjectionsRebuildOptions } from './commands/projectionsRebuild.js';
export { kvGet } from './commands/kvGet.js';
export type { KvEntryView, KvGetOptions } from './commands/kvGet.js';
export { kvWatch } from './commands/kvWatch.js';
export type { KvWatchOptions } from './commands/kvWatch.js';
export { streams } from './commands/streams.js';
export type { StreamInfoView, StreamsOptions } from './commands/streams.js';
export { doctor } from './commands/doctor.js';
export type { DoctorCheck, DoctorOptions, DoctorReport } from './commands/doctor.js';
