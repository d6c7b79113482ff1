import type { MisterSmithError } from '../errors/MisterSmithError.js';
import type { LogItem } from '../eventlog/EventLog.js';
import type { StreamPosition } from '../events/EventEnvelope.js';

/**
 * Events the subscription cannot deliver: the stream evicted them and the archive does not have
 * them (`evicted`, `not-archived`), or the resume position is from an earlier incarnation of the
 * stream and no archive was given (`epoch-changed`; `toSeq` is then unknown).
 */
export interface GapItem {
  readonly kind: 'gap';
  readonly epoch: number;
  readonly fromSeq: number;
  readonly toSeq?: number;
  /** `pruned`: archive retention removed those events (a snapshot after them holds their effect). */
  readonly reason: 'evicted' | 'not-archived' | 'epoch-changed' | 'pruned';
  /** The same as a typed error (`EVENTS_UNAVAILABLE`), which `onGap: 'fail'` throws instead. */
  readonly error: MisterSmithError;
}

/** Where an item came from and where to resume after it. */
interface Positioned {
  readonly position: StreamPosition;
  readonly source: 'archive' | 'stream';
}

/** One item of `subscribe`: an event or an undecodable message (with its position), `caught-up`, or a gap. */
export type SubscriptionItem =
  | (Extract<LogItem, { kind: 'event' }> & Positioned)
  | (Extract<LogItem, { kind: 'malformed' }> & Positioned)
  | (Extract<LogItem, { kind: 'caught-up' }> & { readonly position: StreamPosition })
  | GapItem;
