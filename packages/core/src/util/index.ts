export { backoffMs } from './backoffMs.js';
export type { Jitter } from './backoffMs.js';
export { mapLimit } from './mapLimit.js';
export { sleep } from './sleep.js';
export { retryTransient, RETRY_BUDGET_MS } from '../nats/retryTransient.js';
export { AsyncQueue } from './AsyncQueue.js';
export { KeyBatcher, type KeyBatcherOptions } from './KeyBatcher.js';
