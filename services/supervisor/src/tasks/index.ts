export { createTaskWorker } from './createTaskWorker.js';
export type { TaskWorker, TaskWorkerOptions, TaskWorkerStats } from './createTaskWorker.js';
