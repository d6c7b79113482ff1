export { startTestEnv, testServers } from './startTestEnv.js';
export type { ServerChoice, TestEnv, TestEnvOptions } from './startTestEnv.js';
export { expectedState, seedAgentState, seedStateRows, stateWorkload } from './fixtures.js';
export type { SeedAgentStateOptions, SeededAgentState } from './fixtures.js';
export { readMarkedCodeBlock } from './readMarkedCodeBlock.js';
export { runNodeModule } from './runNodeModule.js';
export { InMemoryStateRepository } from './InMemoryStateRepository.js';
export { InMemoryKvStore } from './InMemoryKvStore.js';
export { InMemoryEventLog } from './InMemoryEventLog.js';
