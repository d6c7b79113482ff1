/**
 * The wire format of the agent sync endpoint (`GET /api/agents/<id>/sync`), shared by the web role
 * that writes it and the client that reads it. Every server-sent event carries an `id` (the
 * cursor); a client that reconnects sends the last one as `Last-Event-ID` and receives exactly
 * the events after it.
 */

/** A stream position: the stream's incarnation (creation time, ms) and its sequence. */
export interface Version {
  readonly epoch: number;
  readonly seq: number;
}

/** One key of an agent's state, with the version of the event that produced it. */
export interface SyncedEntry {
  readonly value: unknown;
  readonly version: Version;
  readonly strategy: string;
}

/** The agent's lifecycle as the last `AgentLifecycleChanged` left it. */
export interface LifecycleView {
  readonly state: string;
  readonly agentType: string;
  readonly supervisorId: string | null;
  readonly version: Version;
}

/** A stored event as the timeline shows it (the full envelope is kept for the details). */
export interface EventEnvelopeView {
  readonly id: string;
  readonly type: string;
  readonly subject: string;
  readonly agentId?: string;
  readonly time: string;
  readonly data: unknown;
  readonly [extra: string]: unknown;
}

/** `event: snapshot`: the agent's state at `revision` (every event up to the cursor applied). */
export interface SnapshotMessage {
  readonly agentId: string;
  readonly epoch: number;
  /** Highest stream sequence of this agent's events the snapshot includes. */
  readonly revision: number;
  readonly cursor: string;
  readonly state: Readonly<Record<string, SyncedEntry>>;
  readonly lifecycle: LifecycleView | null;
}

/** `event: change`: one key written or deleted (`StateChanged`, or an edit made in SQL). */
export interface ChangeMessage {
  readonly seq: number;
  readonly epoch: number;
  readonly key: string;
  readonly op: 'put' | 'delete';
  readonly value: unknown;
  readonly strategy: string;
  readonly event: EventEnvelopeView;
}

/** `event: lifecycle`: a lifecycle transition. */
export interface LifecycleMessage {
  readonly seq: number;
  readonly epoch: number;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  readonly agentType: string;
  readonly supervisorId: string;
  readonly event: EventEnvelopeView;
}

/** `event: event`: any other event on the agent's subjects (ownership, steps). */
export interface OtherEventMessage {
  readonly seq: number;
  readonly epoch: number;
  readonly event: EventEnvelopeView;
}

/** The body of every error response of the web role. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: Readonly<Record<string, unknown>> };
}

/** SSE event names of the sync endpoint. */
export type SyncEventName = 'snapshot' | 'change' | 'lifecycle' | 'event';

/** The cursor a client resumes from: `<epoch>:<state seq>:<lifecycle seq>`. */
export interface Cursor {
  readonly epoch: number;
  readonly stateSeq: number;
  readonly lifecycleSeq: number;
}

/** Formats a cursor for the SSE `id` field. */
export function formatCursor(c: Cursor): string {
  return `${c.epoch}:${c.stateSeq}:${c.lifecycleSeq}`;
}

/** Parses a cursor; undefined when it is not one. */
export function parseCursor(text: string): Cursor | undefined {
  const m = /^(\d{1,16}):(\d{1,16}):(\d{1,16})$/.exec(text.trim());
  if (!m) return undefined;
  return { epoch: Number(m[1]), stateSeq: Number(m[2]), lifecycleSeq: Number(m[3]) };
}
