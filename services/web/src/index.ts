/**
 * `@mister-smith/web`: the web role. A live fleet view in the browser (server-rendered page, a
 * small script, no build step) and state sync to clients over HTTP: per agent, a snapshot then
 * every change as server-sent events, resumable with `Last-Event-ID`. Reads through the event
 * log and the read models; the one write is a projection rebuild, off unless allowed.
 *
 * @packageDocumentation
 */
export { createWebServer } from './createWebServer.js';
export type { WebServer, WebServerOptions } from './createWebServer.js';
export { DEFAULT_WEB_PORT, isLoopback, webConfig } from './webConfig.js';
export type { WebConfig, WebConfigInput } from './webConfig.js';
export { WebError } from './WebError.js';
export type { WebErrorCode } from './WebError.js';
export { openAgentSync } from './openAgentSync.js';
export type { AgentSyncDeps, AgentSyncSession, OutgoingMessage } from './openAgentSync.js';
export { createFleetFeed } from './createFleetFeed.js';
export type { AgentUpdate, FleetFeed, FleetFeedOptions, FleetMessage, ProjectionsMessage } from './createFleetFeed.js';
export type { AgentFilter, AgentRow, DeadLetterView, FleetSummary, PendingWork } from './readFleet.js';
