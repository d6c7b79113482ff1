import type { DatabaseHandle, NatsHandle, Topology } from '@mister-smith/core';
import type { Checkpoint } from '../pg/checkpoints.js';
import type { ProjectionLogger } from '../runner/ProjectionLogger.js';
import type { RebuildProgress } from '../types/ProjectionStatus.js';

/** Options of a rebuild. */
export interface RebuildOptions {
  /** Called with progress at most every `progressIntervalMs` and once at the end of each phase. */
  readonly onProgress?: (progress: RebuildProgress) => void;
  readonly progressIntervalMs?: number;
  /** Rebuild even when archive + stream are not contiguous from the first event (gaps are reported). */
  readonly force?: boolean;
  /** Most events per write transaction (default 20 000); several writes of one key in a batch collapse to one row. */
  readonly batchSize?: number;
  /** Attempts of a failing event before it is dead-lettered (default 3). */
  readonly maxAttempts?: number;
  /** Aborts the rebuild: the shadow is dropped and the live projection resumes. */
  readonly signal?: AbortSignal;
}

/** A range of sequences that neither the archive nor the stream holds. */
export interface SequenceGap {
  readonly epoch: number;
  readonly fromSeq: number;
  readonly toSeq: number;
}

/** What a rebuild did. */
export interface RebuildReport {
  readonly projection: string;
  readonly mode: 'shadow' | 'in-place';
  /** The stream incarnation and last sequence the rebuilt tables cover (the new checkpoint). */
  readonly epoch: number;
  readonly checkpoint: number;
  /** Messages read, and how many of them the projection applied (its subjects). */
  readonly read: number;
  readonly events: number;
  readonly fromArchive: number;
  readonly fromStream: number;
  readonly deadLettered: number;
  readonly contiguous: boolean;
  readonly gaps: readonly SequenceGap[];
  readonly durationMs: number;
  /** Messages per second over the whole rebuild. */
  readonly rate: number;
  readonly tables: readonly string[];
}

/** How a rebuild pauses the live projection at the head and resumes it after the swap. */
export interface LiveControl {
  /** Resolves once the live projection has no batch in flight and reads no further. */
  pause(): Promise<Checkpoint>;
  resume(): void;
  setRebuild(progress: RebuildProgress | undefined, rebuilding: boolean): void;
}

/** What a rebuild needs. Without `live`, the rebuild takes the projection's lock itself (LOCKED when another instance holds it). */
export interface RebuildDeps {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  readonly logger?: ProjectionLogger;
  readonly live?: LiveControl;
}
