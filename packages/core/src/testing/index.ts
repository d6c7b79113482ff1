export { startTestEnv, testServers } from './startTestEnv.js';
export type { TestEnv, TestEnvOptions } from './startTestEnv.js';
export { readMarkedCodeBlock } from './readMarkedCodeBlock.js';
export { runNodeModule } from './runNodeModule.js';
export { InMemoryStateRepository } from './InMemoryStateRepository.js';
export { InMemoryKvStore } from './InMemoryKvStore.js';
export { InMemoryEventLog } from './InMemoryEventLog.js';
