/** Schema version this build writes; events with a higher one are refused as UNSUPPORTED_SCHEMA. */
export const CURRENT_SCHEMA_VERSION = 1;

/**
 * The standard envelope of every event on every stream. `subject` is logical (no namespace prefix);
 * `id` is a uuid v7 and doubles as the `Nats-Msg-Id`, so a retried append is deduplicated.
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  readonly id: string;
  readonly type: TType;
  readonly subject: string;
  readonly agentId?: string;
  /** ISO-8601 time the event was created. */
  readonly time: string;
  readonly schemaVersion: number;
  readonly causationId?: string;
  readonly correlationId?: string;
  /** W3C trace context, carried when the caller provides one. */
  readonly traceparent?: string;
  readonly data: TData;
}

/** Shorthand for a readonly tagged event: `Event<'AgentStarted', { reason: string }>`. */
export type Event<TType extends string, TData> = EventEnvelope<TType, Readonly<TData>>;

/** The stream position of a stored event: the stream's incarnation (epoch) and its sequence. */
export interface StreamPosition {
  /** Creation time of the stream (ms since 1970); a recreated stream has a later epoch. */
  readonly epoch: number;
  readonly seq: number;
}

/** An event read back from a stream, with where it is stored. */
export interface RecordedEvent<E extends EventEnvelope = EventEnvelope> {
  readonly event: E;
  readonly seq: number;
  /** Full subject as stored (with namespace prefix). */
  readonly streamSubject: string;
  /** Time the server stored it. */
  readonly storedAt: Date;
}

/** Compares two versions: negative when a is older than b. */
export function compareVersions(a: StreamPosition, b: StreamPosition): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.seq - b.seq;
}
