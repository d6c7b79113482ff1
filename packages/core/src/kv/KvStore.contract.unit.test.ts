import { describe } from 'vitest';
import { InMemoryKvStore } from '../testing/InMemoryKvStore.js';
import { kvStoreContract } from './kvStoreContract.test.js';

describe('KvStore contract: InMemoryKvStore', () => {
  kvStoreContract(async () => ({ kv: new InMemoryKvStore(), dispose: async () => undefined }));
});
