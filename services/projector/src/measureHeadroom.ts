import { jsApiCode, JsCodes, type NatsHandle } from '@mister-smith/core';
import { retentionHeadroom, type Headroom } from './retentionHeadroom.js';

/** The retention limits of a stream that bound a projection's headroom. */
export interface StreamLimits {
  /** `max_age` in ms (0: unlimited). */
  readonly maxAgeMs: number;
  /** `max_msgs` (0 or negative: unlimited). */
  readonly maxMsgs: number;
}

/** Where a projection stands against its stream (a projection status has these fields). */
export interface ProjectionPosition {
  readonly stream: string;
  readonly lag: number;
  readonly checkpoint: { readonly seq: number };
  readonly streamFirstSeq: number;
}

/** A projection's headroom, with the figures it was judged on. */
export interface MeasuredHeadroom {
  readonly headroom: Headroom;
  /** Age of the oldest unprojected event still in the stream (0 when caught up or already deleted). */
  readonly oldestUnprojectedAgeMs: number;
  readonly limits: StreamLimits;
}

/** Reads a stream's retention limits. */
export async function readStreamLimits(nats: NatsHandle, stream: string): Promise<StreamLimits> {
  const c = (await nats.jsm.streams.info(stream)).config;
  return { maxAgeMs: Math.round(c.max_age / 1e6), maxMsgs: c.max_msgs };
}

/**
 * Measures one projection's retention headroom: the age of its oldest unprojected event (one
 * direct read) against the stream's limits (read unless `limits` is given). The one measurement
 * behind the projector's headroom metric and `doctor`.
 */
export async function measureHeadroom(nats: NatsHandle, p: ProjectionPosition, limits?: StreamLimits): Promise<MeasuredHeadroom> {
  const l = limits ?? await readStreamLimits(nats, p.stream);
  let ageMs = 0;
  if (p.lag > 0 && l.maxAgeMs > 0) {
    try {
      const m = await nats.jsm.streams.getMessage(p.stream, { seq: p.checkpoint.seq + 1 });
      ageMs = m ? Date.now() - m.time.getTime() : 0;
    } catch (e) {
      // Deleted already (interest retention, max_msgs): no unprojected event to age.
      if (jsApiCode(e) !== JsCodes.messageNotFound) throw e;
    }
  }
  const headroom = retentionHeadroom({ ...l, oldestUnprojectedAgeMs: ageMs, lag: p.lag, lost: p.checkpoint.seq + 1 < p.streamFirstSeq && p.lag > 0 });
  return { headroom, oldestUnprojectedAgeMs: ageMs, limits: l };
}
