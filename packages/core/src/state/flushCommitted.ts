import { msError } from '../errors/MisterSmithError.js';
import type { StreamPosition } from '../events/EventEnvelope.js';
import type { FlushFilter, WriteBehind } from './WriteBehind.js';

/**
 * The PostgreSQL wait of `postgres` durability, after the commit point (the append). Its failure
 * must not look like a failed write, which a caller would retry and apply twice: it is
 * COMMITTED_NOT_FLUSHED, naming the committed version. The rows stay dirty and are retried.
 */
export async function flushCommitted(writeBehind: WriteBehind, agentId: string, key: string | undefined, version: StreamPosition, filter: FlushFilter): Promise<void> {
  try {
    await writeBehind.flush(filter);
  } catch (e) {
    const what = key === undefined ? `the command record of ${agentId}` : `the write of ${agentId}/${key}`;
    throw msError('COMMITTED_NOT_FLUSHED', `${what} is committed at version (epoch ${version.epoch}, seq ${version.seq}) but not yet in PostgreSQL (the flush is retried in the background): do not repeat it as a new write; a retry with the same command id returns its reply`, {
      cause: e, details: { agentId, ...(key !== undefined ? { key } : {}), version: { epoch: version.epoch, seq: version.seq }, committed: true },
    });
  }
}
