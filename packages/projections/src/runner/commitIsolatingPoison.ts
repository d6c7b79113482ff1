import type { DeadLetter } from '../pg/deadLetters.js';
import type { ProjectionItem } from '../types/ProjectionItem.js';
import { backoffMs, sleep } from '@mister-smith/core/util';

/** Commits `items` (possibly none) and `letters` in one transaction and advances to `uptoSeq`. */
export type BatchCommit = (items: readonly ProjectionItem[], letters: readonly DeadLetter[], uptoSeq: number) => Promise<void>;

/** How poison is told apart and recorded. */
export interface IsolationOptions {
  /** Attempts per single event before it is dead-lettered (>= 1). */
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  /** True when the failure is not the events' (connection lost, checkpoint race): it is rethrown, nothing is dead-lettered. */
  isInfrastructure(e: unknown): Promise<boolean>;
  deadLetterOf(item: ProjectionItem, error: unknown, attempts: number): DeadLetter;
  readonly signal?: AbortSignal;
}

/**
 * Commits a batch; when it fails for a reason of its own, splits it in halves until the failing
 * event is alone, retries that event `maxAttempts` times with backoff, then commits a dead letter
 * for it in its place, so the projection moves past it. Every commit advances the checkpoint to the
 * last sequence it covers, so exactly-once holds throughout. Returns the dead letters written.
 */
export async function commitIsolatingPoison(
  commit: BatchCommit, items: readonly ProjectionItem[], letters: readonly DeadLetter[], uptoSeq: number, options: IsolationOptions,
): Promise<DeadLetter[]> {
  const dead: DeadLetter[] = [];
  const run = async (part: readonly ProjectionItem[], dls: readonly DeadLetter[], upto: number): Promise<void> => {
    try {
      await commit(part, dls, upto);
      return;
    } catch (e) {
      if (part.length === 0 || (await options.isInfrastructure(e))) throw e;
      if (part.length === 1) {
        let last: unknown = e;
        for (let attempt = 2; attempt <= options.maxAttempts; attempt++) {
          await sleep(backoffMs(attempt - 1, { baseMs: options.retryBaseMs, maxMs: 2000, jitter: 'equal' }), options.signal);
          if (options.signal?.aborted) throw last;
          try {
            await commit(part, dls, upto);
            return;
          } catch (again) {
            if (await options.isInfrastructure(again)) throw again;
            last = again;
          }
        }
        const letter = options.deadLetterOf(part[0]!, last, Math.max(1, options.maxAttempts));
        await commit([], [...dls, letter], upto);
        dead.push(letter);
        return;
      }
      const mid = part.length >> 1;
      const left = part.slice(0, mid);
      const leftUpto = left[left.length - 1]!.seq;
      await run(left, dls.filter((l) => l.seq <= leftUpto), leftUpto);
      await run(part.slice(mid), dls.filter((l) => l.seq > leftUpto), upto);
    }
  };
  await run(items, letters, uptoSeq);
  return dead;
}
