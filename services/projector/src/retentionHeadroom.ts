/** What decides a projection's retention headroom. */
export interface HeadroomInput {
  /** The stream's `max_age` (ms; 0: unlimited). */
  readonly maxAgeMs: number;
  /** The stream's `max_msgs` (0 or negative: unlimited). */
  readonly maxMsgs: number;
  /** Age of the oldest event the projection has not applied (0 when caught up). */
  readonly oldestUnprojectedAgeMs: number;
  /** Events between the checkpoint and the head. */
  readonly lag: number;
  /** True when events left the stream before the projection applied them. */
  readonly lost: boolean;
}

/** How far a projection is from losing events to the stream's retention. */
export interface Headroom {
  /** Time left before the oldest unprojected event ages out (absent without `max_age`). */
  readonly seconds?: number;
  /** The smallest share of the margin left, over age and message count (1: all of it, 0: none). */
  readonly ratio: number;
  /** Under half the margin (ARCHITECTURE consistency point 7): warn. */
  readonly warn: boolean;
}

/**
 * The retention headroom of one projection, as `doctor` judges it: the stream's `max_age` minus the
 * age of the oldest unprojected event, and its `max_msgs` minus the lag, each as a share of the
 * limit; under half is a warning. Pure.
 */
export function retentionHeadroom(i: HeadroomInput): Headroom {
  if (i.lost) return { ...(i.maxAgeMs > 0 ? { seconds: 0 } : {}), ratio: 0, warn: true };
  const ratios: number[] = [];
  let seconds: number | undefined;
  if (i.maxAgeMs > 0) {
    const left = Math.max(0, i.maxAgeMs - i.oldestUnprojectedAgeMs);
    seconds = left / 1000;
    ratios.push(left / i.maxAgeMs);
  }
  if (i.maxMsgs > 0) ratios.push(Math.max(0, 1 - i.lag / i.maxMsgs));
  const ratio = ratios.length > 0 ? Math.min(...ratios) : 1;
  return { ...(seconds !== undefined ? { seconds } : {}), ratio, warn: ratio < 0.5 };
}
