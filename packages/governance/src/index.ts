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
