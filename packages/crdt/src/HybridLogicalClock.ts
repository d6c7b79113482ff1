import { CrdtError } from './CrdtError.js';
import { HLC_MAX_COUNTER, isHlcTimestamp, type HlcTimestamp } from './HlcTimestamp.js';

/** Options of a {@link HybridLogicalClock}. */
export interface HybridLogicalClockOptions {
  /**
   * Refuse remote timestamps whose wall time is more than this many milliseconds ahead of the
   * local wall clock (`CLOCK_DRIFT`), so one node with a wild clock cannot drag every other
   * clock into the future. Unset: no limit.
   */
  readonly maxDriftMs?: number;
}

/**
 * A hybrid logical clock (Kulkarni et al., 2014): timestamps close to wall time that never go
 * backwards on one node, even when the wall clock steps back, and that order every event after
 * the events it has seen (`receive`).
 *
 * The wall clock is injected so tests and replays are deterministic; it defaults to `Date.now`.
 * Node ids must be unique per live clock: two clocks with one id can produce equal timestamps.
 *
 * @example
 * ```ts
 * const clock = new HybridLogicalClock('supervisor-1');
 * const local = clock.now();            // stamp a local write
 * const after = clock.receive(remote);  // stamp a write made after seeing `remote`
 * ```
 */
export class HybridLogicalClock {
  /** Id written into every timestamp of this clock. */
  readonly node: string;
  readonly #physical: () => number;
  readonly #maxDriftMs: number | undefined;
  #wall = 0;
  #counter = 0;
  #issued = false;

  constructor(node: string, now: () => number = Date.now, options: HybridLogicalClockOptions = {}) {
    if (typeof node !== 'string' || node.length === 0) {
      throw new CrdtError('INVALID_ARGUMENT', 'A clock needs a non-empty node id');
    }
    this.node = node;
    this.#physical = now;
    this.#maxDriftMs = options.maxDriftMs;
  }

  /** A new timestamp for a local event, strictly greater than every one this clock issued. */
  now(): HlcTimestamp {
    const physical = this.#readPhysical();
    if (physical > this.#wall) this.#set(physical, 0);
    else this.#set(this.#wall, this.#counter + 1);
    return this.#stamp();
  }

  /**
   * Merge a timestamp seen from elsewhere and return a new one strictly greater than both it
   * and every timestamp this clock issued before.
   *
   * @throws CrdtError `INVALID_ARGUMENT` when `remote` is not a timestamp, `CLOCK_DRIFT` when it
   * is further ahead than `maxDriftMs`.
   */
  receive(remote: HlcTimestamp): HlcTimestamp {
    if (!isHlcTimestamp(remote)) {
      throw new CrdtError('INVALID_ARGUMENT', 'receive() needs a valid HLC timestamp', {
        details: { remote },
      });
    }
    const physical = this.#readPhysical();
    if (this.#maxDriftMs !== undefined && remote.wall - physical > this.#maxDriftMs) {
      throw new CrdtError('CLOCK_DRIFT', `Remote clock ${remote.node} is ${remote.wall - physical} ms ahead`, {
        details: { remote, physical, maxDriftMs: this.#maxDriftMs },
      });
    }
    const local = this.#wall;
    const wall = Math.max(local, remote.wall, physical);
    if (wall === local && wall === remote.wall) this.#set(wall, Math.max(this.#counter, remote.counter) + 1);
    else if (wall === local) this.#set(wall, this.#counter + 1);
    else if (wall === remote.wall) this.#set(wall, remote.counter + 1);
    else this.#set(wall, 0);
    return this.#stamp();
  }

  /** The last timestamp issued, or `undefined` before the first call to `now` or `receive`. */
  last(): HlcTimestamp | undefined {
    return this.#issued ? this.#stamp() : undefined;
  }

  #readPhysical(): number {
    const value = this.#physical();
    if (!Number.isFinite(value) || value < 0) {
      throw new CrdtError('INVALID_ARGUMENT', 'The injected wall clock returned an invalid time', {
        details: { value },
      });
    }
    return Math.floor(value);
  }

  #set(wall: number, counter: number): void {
    // An exhausted counter borrows the next millisecond: order is kept, wall time runs ahead by 1 ms.
    if (counter > HLC_MAX_COUNTER) {
      this.#wall = wall + 1;
      this.#counter = 0;
    } else {
      this.#wall = wall;
      this.#counter = counter;
    }
    this.#issued = true;
  }

  #stamp(): HlcTimestamp {
    return Object.freeze({ wall: this.#wall, counter: this.#counter, node: this.node });
  }
}
