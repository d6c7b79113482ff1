import { classifyNatsError, JsCodes, jsApiCode, msError, namespacedSubject, type NatsHandle } from '@mister-smith/core';

/** What a reader needs to know about a stream right now. */
export interface StreamState {
  /** Creation time (ms): identifies this incarnation of the stream. */
  readonly epoch: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly messages: number;
  readonly maxAgeMs: number;
  /** Memory storage: a nats-server restart starts the stream afresh (a new epoch), by design. */
  readonly memory: boolean;
}

/** Reads a stream's epoch and bounds (uncached, so a recreated stream is noticed). */
export async function streamState(nats: NatsHandle, stream: string): Promise<StreamState> {
  try {
    const info = await nats.jsm.streams.info(stream);
    return {
      epoch: Date.parse(info.created),
      firstSeq: info.state.first_seq,
      lastSeq: info.state.last_seq,
      messages: info.state.messages,
      maxAgeMs: Math.round(info.config.max_age / 1e6),
      memory: String(info.config.storage) === 'memory',
    };
  } catch (e) {
    if (jsApiCode(e) === JsCodes.streamNotFound) {
      throw msError('NOT_FOUND', `stream ${stream} does not exist: run "mister-smith migrate" to provision NATS`, { cause: e, details: { stream } });
    }
    throw classifyNatsError(e, `reading stream ${stream}`);
  }
}

/** The last sequence stored under a logical filter (wildcards allowed), 0 when none. */
export async function lastSeqOf(nats: NatsHandle, stream: string, namespace: string | undefined, filter: string): Promise<number> {
  try {
    const m = await nats.jsm.streams.getMessage(stream, { last_by_subj: namespacedSubject(namespace, filter) });
    return m?.seq ?? 0;
  } catch (e) {
    if (jsApiCode(e) === JsCodes.messageNotFound) return 0;
    throw classifyNatsError(e, `reading the head of ${filter} in ${stream}`);
  }
}
