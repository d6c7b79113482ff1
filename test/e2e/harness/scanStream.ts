import type { NatsHandle } from '@mister-smith/core';

/** One stored message, raw: what a consumer of the stream receives. */
export interface RawStreamMessage {
  readonly seq: number;
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly data: Uint8Array;
}

/**
 * Reads every message of `stream` (optionally under `filter`, a full subject with wildcards) up to
 * its last sequence as of the call, with the `Nats-Msg-Id` header, through an ordered consumer.
 * Bounded by the message count and `timeoutMs`.
 */
export async function scanStream(nats: NatsHandle, stream: string, options: { filter?: string; timeoutMs?: number } = {}): Promise<RawStreamMessage[]> {
  const info = await nats.jsm.streams.info(stream);
  const last = info.state.last_seq;
  const out: RawStreamMessage[] = [];
  if (info.state.messages === 0) return out;
  const consumer = await nats.js.consumers.get(stream, options.filter ? { filter_subjects: options.filter } : {});
  const messages = await consumer.consume({ max_messages: 512 });
  const timer = setTimeout(() => { void messages.close(); }, options.timeoutMs ?? 30_000);
  try {
    for await (const m of messages) {
      out.push({ seq: m.seq, subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') || undefined, data: m.data });
      if (m.seq >= last || m.info.pending === 0 || out.length > info.state.messages) break;
    }
  } finally {
    clearTimeout(timer);
    await messages.close();
  }
  return out;
}
