import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestEnv, testServers } from '@mister-smith/core/testing';
import { createValidationInitializer } from './validation/index.js';

// The upstream suite is written against vitest globals; this project runs without them.
Object.assign(globalThis, { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it });
const { validate, deltaChannelHistoryTests } = await import('@langchain/langgraph-checkpoint-validation');

// One database for this file; each checkpointer the suite creates gets its own schema and namespace in it.
const env = await startTestEnv({ provision: false, migrate: false });
afterAll(() => env.close());

const initializer = createValidationInitializer({ natsUrl: env.natsUrl, databaseUrl: env.databaseUrl, namespacePrefix: testServers().runId });
validate(initializer);
describe('@mister-smith/langgraph delta channels', () => { deltaChannelHistoryTests(initializer); });
