import { describe } from 'vitest';
import { InMemoryStateRepository } from '../testing/InMemoryStateRepository.js';
import { stateRepositoryContract } from './stateRepositoryContract.test.js';

describe('StateRepository contract: InMemoryStateRepository', () => {
  stateRepositoryContract(async () => ({ repository: new InMemoryStateRepository(), dispose: async () => undefined }));
});
