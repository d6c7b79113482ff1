import type { DatabaseHandle } from '@mister-smith/core';
import { recordDeadLetters, type DeadLetter } from '../pg/deadLetters.js';
import type { ProjectionLogger } from '../runner/ProjectionLogger.js';
import { backoffMs, sleep } from '@mister-smith/core/util';

/**
 * Records a dead letter with a bounded retry: `recorded`, `duplicate` (this position was recorded
 * before, e.g. by a delivery that raced the ack wait) or `failed` when PostgreSQL refused every
 * attempt (then the whole letter is logged, so nothing is lost silently).
 */
export async function deadLetterWithRetry(pg: DatabaseHandle, letter: DeadLetter, logger: ProjectionLogger, signal?: AbortSignal): Promise<'recorded' | 'duplicate' | 'failed'> {
  let last: unknown;
  for (let attempt = 1; attempt <= 4; attempt++) {
    try {
      return (await recordDeadLetters(pg.db, [letter])) === 1 ? 'recorded' : 'duplicate';
    } catch (e) {
      last = e;
      if (signal?.aborted) break;
      await sleep(backoffMs(attempt, { baseMs: 100, maxMs: 2000, jitter: 'equal' }), signal);
    }
  }
  logger.error({ err: last, letter: { ...letter, payload: Buffer.from(letter.payload).toString('base64') } }, 'could not record a dead letter');
  return 'failed';
}
