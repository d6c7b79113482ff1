/**
 * `@mister-smith/governance`: what operators need before production: erasure of one agent
 * everywhere (and the ids projections must skip afterwards).
 *
 * @packageDocumentation
 */
export { eraseAgent } from './erase/eraseAgent.js';
export type { EraseDeps, EraseOptions, ErasureReport } from './erase/eraseAgent.js';
export type { MessageCounts } from './erase/purgeAgentMessages.js';
export type { RowCounts } from './erase/deleteAgentRows.js';
export { backupNamespace } from './backup/backupNamespace.js';
export type { BackupDeps, BackupOptions, BackupSummary } from './backup/backupNamespace.js';
export { restoreNamespace } from './backup/restoreNamespace.js';
export type { RestoreDeps, RestoreOptions, RestoreSummary } from './backup/restoreNamespace.js';
export type { BackedUpStream, BackupProgress } from './backup/backupFormat.js';
