import { describe } from 'vitest';
import { startTestEnv } from '../testing/index.js';
import { kvStoreContract } from './kvStoreContract.test.js';

describe('KvStore contract: JetStreamKvStore', () => {
  kvStoreContract(async () => {
    const env = await startTestEnv({ migrate: false });
    return { kv: await env.bucket('agentConfig'), dispose: () => env[Symbol.asyncDispose]() };
  });
});
