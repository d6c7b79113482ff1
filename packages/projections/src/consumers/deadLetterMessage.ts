import type { DatabaseHandle } from '@mister-smith/core';
import { recordDeadLetters, type DeadLetter } from '../pg/deadLetters.js';
import type { ProjectionLogger } from '../runner/ProjectionLogger.js';
import { backoffMs } from '../util/backoff.js';
import { sleep } from '../util/sleep.js';

/**
 * Records a dead letter with a bounded retry. Returns false when PostgreSQL refused every attempt
 * (the failure is logged with the whole letter, so nothing is lost silently).
 */
export async function deadLetterWithRetry(pg: DatabaseHandle, letter: DeadLetter, logger: ProjectionLogger, signal?: AbortSignal): Promise<boolean> {
  let last: unknown;
  for (let attempt = 1; attempt <= 4; attempt++) {
    try {
      await recordDeadLetters(pg.db, [letter]);
      return true;
    } catch (e) {
      last = e;
      if (signal?.aborted) break;
      await sleep(backoffMs(attempt, 100, 2000), signal);
    }
  }
  logger.error({ err: last, letter: { ...letter, payload: Buffer.from(letter.payload).toString('base64') } }, 'could not record a dead letter');
  return false;
}
