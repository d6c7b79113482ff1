/**
 * `@mister-smith/client`: keeps a local copy of an agent's state in sync with a Mister Smith web
 * role over HTTP: a snapshot, then every change as a server-sent event, resumed after a reconnect
 * with no gap and no duplicate. For browsers and Node 20+; no NATS, no dependencies.
 *
 * @packageDocumentation
 */
export { syncAgent } from './syncAgent.js';
export type { AgentSync, SyncAgentOptions, SyncUpdate } from './syncAgent.js';
export { SyncError } from './SyncError.js';
export type { SyncErrorCode } from './SyncError.js';
export { createSseParser } from './parseSse.js';
export type { SseMessage } from './parseSse.js';
export { applyChange, applyLifecycle, applySnapshot, EMPTY_COPY } from './applyMessage.js';
export type { LocalCopy } from './applyMessage.js';
export { formatCursor, parseCursor } from './protocol.js';
export type {
  ChangeMessage, Cursor, ErrorBody, EventEnvelopeView, LifecycleMessage, LifecycleView, OtherEventMessage, SnapshotMessage, SyncedEntry, SyncEventName, Version,
} from './protocol.js';
