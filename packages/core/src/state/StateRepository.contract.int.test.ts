import { describe } from 'vitest';
import { startTestEnv } from '../testing/index.js';
import { PostgresStateRepository } from './PostgresStateRepository.js';
import { stateRepositoryContract } from './stateRepositoryContract.test.js';

describe('StateRepository contract: PostgresStateRepository', () => {
  stateRepositoryContract(async () => {
    const env = await startTestEnv({ migrate: true });
    return { repository: new PostgresStateRepository(env.pg), dispose: () => env[Symbol.asyncDispose]() };
  });
});
