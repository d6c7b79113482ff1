import type { EventEnvelope, RecordedEvent, StreamPosition } from '../events/EventEnvelope.js';
import type { MisterSmithError } from '../errors/MisterSmithError.js';

/** Options of one append. */
export interface AppendOptions {
  /** Optimistic concurrency: the append fails with SEQUENCE_CONFLICT unless the last event on this subject has this sequence (0 = none yet). */
  readonly expectedLastSubjectSeq?: number;
  readonly timeoutMs?: number;
  /** Deduplication id sent as `Nats-Msg-Id` (default: the event id), e.g. `outbox:<system>:<id>`. */
  readonly msgId?: string;
}

/** The result of an acknowledged append. */
export interface AppendResult extends StreamPosition {
  /** True when the stream had this event id already (a retried append inside the duplicate window). */
  readonly duplicate: boolean;
}

/** Where a read or subscription starts. */
export type StartAt = 'start' | 'new' | { readonly seq: number } | { readonly time: Date };

/** One item of a read or subscription. */
export type LogItem =
  | { readonly kind: 'event'; readonly record: RecordedEvent }
  | { readonly kind: 'malformed'; readonly seq: number; readonly streamSubject: string; readonly error: MisterSmithError; readonly data: Uint8Array }
  | { readonly kind: 'caught-up'; readonly seq: number };

/** A running subscription: iterate it, and stop it when done. */
export interface EventSubscription extends AsyncIterable<LogItem>, AsyncDisposable {
  stop(): Promise<void>;
}

/**
 * Options of `read` and `subscribe`. `filter` is a logical subject (no namespace) and may use
 * wildcards; unset, the whole stream is read.
 */
export interface ReadOptions {
  readonly filter?: string;
  readonly from?: StartAt;
  /** Stop after this sequence (inclusive). */
  readonly toSeq?: number;
  readonly limit?: number;
}

/**
 * An append-only, sequenced event log. `JetStreamEventLog` implements it over a JetStream stream.
 */
export interface EventLog {
  /** The stream's name (with the namespace), as the event archive records it. */
  readonly stream: string;
  /** Maps a logical subject to the stored one (namespace prefix). */
  subjectOf(logical: string): string;
  /** The stream's incarnation: creation time in ms. */
  epoch(): Promise<number>;
  /** Appends one event; resolves once the server acknowledged it (the commit point). */
  append(event: EventEnvelope, options?: AppendOptions): Promise<AppendResult>;
  /** Appends many events pipelined on one connection, in order; resolves with every ack. */
  appendBatch(events: readonly EventEnvelope[], options?: { timeoutMs?: number }): Promise<AppendResult[]>;
  /** Reads stored events matching `filter` from a position up to the head as of the call. */
  read(options: ReadOptions): AsyncIterable<LogItem>;
  /** Catch-up then live: yields stored events, then a `caught-up` marker, then new events until stopped. */
  subscribe(options: ReadOptions): EventSubscription;
  /** The sequence of the last event on a subject (a logical subject, no wildcards), 0 when none. */
  headOf(subject: string): Promise<number>;
  /** First and last sequence the stream holds now. */
  bounds(): Promise<{ firstSeq: number; lastSeq: number; messages: number }>;
}
