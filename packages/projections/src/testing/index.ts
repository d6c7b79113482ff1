/**
 * Test helpers of `@mister-smith/projections` (`@mister-smith/projections/testing`): workloads,
 * table snapshots, a non-idempotent counting projection and a projection worker process for crash
 * tests.
 *
 * @packageDocumentation
 */
export { waitFor } from './waitFor.js';
export { waitCaughtUp } from './waitCaughtUp.js';
export { queryRows, registrySnapshot, stateSnapshot, taskViewSnapshot } from './queryRows.js';
export { expectedState, stateWorkload } from './stateWorkload.js';
export { COUNTER_TABLE, countingProjection, createCounterTable } from './countingProjection.js';
export { spawnProjectionWorker } from './spawnProjectionWorker.js';
export type { ProjectionWorker } from './spawnProjectionWorker.js';
export { newTaskId, taskEvent } from './taskEvents.js';
export { readersGoSilent } from './readersGoSilent.js';
