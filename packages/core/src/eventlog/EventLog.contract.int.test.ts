import { describe } from 'vitest';
import { startTestEnv } from '../testing/index.js';
import { eventLogContract } from './eventLogContract.test.js';

describe('EventLog contract: JetStreamEventLog', () => {
  eventLogContract(async () => {
    const env = await startTestEnv({ migrate: false });
    return { log: env.logs.agentState, dispose: () => env[Symbol.asyncDispose]() };
  });
});
