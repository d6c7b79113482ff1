/**
 * `@mister-smith/supervisor`: the supervisor process. A supervisor of agent actors with a NATS
 * request/reply API on `<ns.>mister-smith.supervisor.<op>`, Prometheus metrics and pino logs.
 *
 * @packageDocumentation
 */
export { createSupervisorService } from './createSupervisorService.js';
export type { SupervisorService, SupervisorServiceOptions } from './createSupervisorService.js';
export { runSupervisorService } from './main.js';
export type { RunningSupervisorService, RunSupervisorServiceOptions } from './main.js';
export { API_OPERATIONS, parseApiRequest } from './parseApiRequest.js';
export type { ApiOperation, ApiRequest } from './parseApiRequest.js';
export { supervisorMetrics } from './supervisorMetrics.js';
export type { SupervisorMetrics } from './supervisorMetrics.js';
export { createTaskWorker } from './tasks/index.js';
export type { TaskWorker, TaskWorkerOptions, TaskWorkerStats } from './tasks/index.js';
