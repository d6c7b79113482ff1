/** What a projection is doing. `standby`: another instance holds its lock. */
export type ProjectionState = 'starting' | 'standby' | 'running' | 'paused' | 'rebuilding' | 'failed' | 'stopped';

/** Progress of a rebuild. */
export interface RebuildProgress {
  readonly projection: string;
  /** `archive`, `stream`, `catch-up` (live paused, reading to the head) or `swap`. */
  readonly phase: 'archive' | 'stream' | 'catch-up' | 'swap';
  readonly done: number;
  /** Best estimate of the events to replay (grows while new events arrive). */
  readonly total: number;
  /** Events per second since the rebuild started. */
  readonly rate: number;
  /** Estimated milliseconds left, undefined before the rate is known. */
  readonly etaMs: number | undefined;
  /** Last replayed stream sequence. */
  readonly seq: number;
}

/** The status of one projection. */
export interface ProjectionStatus {
  readonly name: string;
  readonly stream: string;
  readonly state: ProjectionState;
  /** Why it failed (state `failed`) or a warning, such as events lost before they were projected. */
  readonly reason?: string;
  /** Whether this instance holds the projection's lock. */
  readonly active: boolean;
  readonly checkpoint: { readonly epoch: number; readonly seq: number };
  /** Last stream sequence this projection would read (its filter's last message, or the stream's). */
  readonly head: number;
  /** Sequences between the checkpoint and the head (0 when caught up). */
  readonly lag: number;
  /** The stream's first retained sequence (older events exist only in the archive). */
  readonly streamFirstSeq: number;
  /** Events per second over the last 10 s (this instance). */
  readonly rate: number;
  readonly eventsProjected: number;
  readonly deadLettered: number;
  /**
   * How long (ms) this running instance has had events waiting without its checkpoint moving, once
   * that passes the stall threshold (`stallAfterMs`); 0 otherwise. A stalled reader is reopened.
   */
  readonly stalledMs: number;
  /** Times this instance reopened a stalled reader. */
  readonly readerRestarts: number;
  readonly rebuild?: RebuildProgress;
}
