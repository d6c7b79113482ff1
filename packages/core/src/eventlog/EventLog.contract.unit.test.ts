import { describe } from 'vitest';
import { InMemoryEventLog } from '../testing/InMemoryEventLog.js';
import { eventLogContract } from './eventLogContract.test.js';

describe('EventLog contract: InMemoryEventLog', () => {
  eventLogContract(async () => ({ log: new InMemoryEventLog(), dispose: async () => undefined }));
});
