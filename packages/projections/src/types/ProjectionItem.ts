import type { EventEnvelope, MisterSmithError } from '@mister-smith/core';

/** Where an item sits in its stream and when the server stored it. */
interface ItemPosition {
  /** Stream incarnation (creation time, ms) and stream sequence: the version this item produces. */
  readonly epoch: number;
  readonly seq: number;
  /** Logical subject (without the namespace prefix). */
  readonly subject: string;
  readonly storedAt: Date;
  /** The message payload as stored. */
  readonly raw: Uint8Array;
}

/**
 * One stored message as a projection sees it: a decoded event, or a message that failed to
 * decode (`malformed`, with the reason). Items come from the stream or, during a rebuild, from the
 * event archive; both look the same.
 */
export type ProjectionItem =
  | (ItemPosition & { readonly kind: 'event'; readonly event: EventEnvelope })
  | (ItemPosition & { readonly kind: 'malformed'; readonly error: MisterSmithError });

/** A decoded item. */
export type ProjectionEvent = Extract<ProjectionItem, { kind: 'event' }>;
