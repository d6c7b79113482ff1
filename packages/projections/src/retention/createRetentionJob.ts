import type { DatabaseHandle } from '@mister-smith/core';
import { assertRetentionPolicy, parseRetentionDuration, type RetentionPolicy } from './RetentionPolicy.js';
import { pruneArchive, type PruneProgress, type PruneReport } from './pruneArchive.js';

/** Options of {@link createRetentionJob}. */
export interface RetentionJobOptions {
  readonly pg: DatabaseHandle;
  /** The AGENT_STATE stream's name. */
  readonly stream: string;
  readonly policy: RetentionPolicy;
  /** Time between runs (default 1 h). */
  readonly intervalMs?: number;
  /** Whether this process runs it now (e.g. it holds the archive projection's lock): one runs per namespace. */
  readonly isLeader: () => boolean;
  readonly onProgress?: (p: PruneProgress) => void;
  readonly onReport?: (r: PruneReport) => void;
  readonly onError?: (e: unknown) => void;
}

/** A background archive retention job. */
export interface RetentionJob {
  /** Runs the policy now (regardless of the leader check); resolves with its report. */
  runOnce(): Promise<PruneReport>;
  /** The last run's report, if any. */
  readonly lastReport: PruneReport | undefined;
  /** Stops the timer and waits for a run in flight (aborted between batches). */
  stop(): Promise<void>;
}

/**
 * Applies the archive retention policy ({@link pruneArchive}) every `intervalMs` while `isLeader()`
 * holds, one run at a time; the timer does not keep the process alive and `stop()` leaves none.
 */
export function createRetentionJob(options: RetentionJobOptions): RetentionJob {
  const abort = new AbortController();
  let running: Promise<PruneReport> | undefined;
  let last: PruneReport | undefined;
  const runOnce = () => (running ??= pruneArchive(options.pg, {
    stream: options.stream, policy: options.policy, signal: abort.signal,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  }).then((r) => { last = r; options.onReport?.(r); return r; }).finally(() => { running = undefined; }));
  const timer = setInterval(() => {
    if (abort.signal.aborted || running || !options.isLeader()) return;
    runOnce().catch((e: unknown) => { if (!abort.signal.aborted) options.onError?.(e); });
  }, options.intervalMs ?? 3_600_000);
  timer.unref();
  return {
    runOnce,
    get lastReport() { return last; },
    async stop() {
      clearInterval(timer);
      abort.abort();
      await running?.catch(() => undefined);
    },
  };
}

/**
 * The retention policy from the environment, or undefined (retention off, the default):
 * `MISTER_SMITH_ARCHIVE_KEEP_FOR` (e.g. `30d`), `MISTER_SMITH_ARCHIVE_KEEP_LAST` (events per agent
 * before its latest snapshot), `MISTER_SMITH_ARCHIVE_PRUNE_INTERVAL` (default `1h`).
 */
export function retentionFromEnv(env: Readonly<Record<string, string | undefined>>): { policy: RetentionPolicy; intervalMs: number } | undefined {
  const keepFor = env.MISTER_SMITH_ARCHIVE_KEEP_FOR;
  const keepLast = env.MISTER_SMITH_ARCHIVE_KEEP_LAST;
  if (!keepFor && !keepLast) return undefined;
  const policy: RetentionPolicy = {
    ...(keepFor ? { keepForMs: parseRetentionDuration(keepFor) } : {}),
    ...(keepLast ? { keepLast: Number(keepLast) } : {}),
  };
  return { policy: assertRetentionPolicy(policy), intervalMs: parseRetentionDuration(env.MISTER_SMITH_ARCHIVE_PRUNE_INTERVAL ?? '1h') };
}
