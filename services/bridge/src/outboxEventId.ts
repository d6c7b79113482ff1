import { createHash } from 'node:crypto';

/**
 * The `Nats-Msg-Id` of an outbox row: `outbox:<system_identifier>:<id>`. The same row always gets
 * the same id, so a publish retried after a crash is deduplicated by the stream.
 */
export function outboxMsgId(systemIdentifier: string, outboxId: number): string {
  return `outbox:${systemIdentifier}:${outboxId}`;
}

/**
 * A deterministic uuid v7 for an outbox row: the row's creation time in the timestamp bits and a
 * hash of its msg id in the random bits. A re-published row carries the same event id, so consumers
 * that deduplicate by event id see one event, not two.
 */
export function outboxEventId(msgId: string, createdAt: Date): string {
  const b = createHash('sha256').update(msgId).digest().subarray(0, 16);
  const ms = BigInt(Math.max(0, createdAt.getTime()));
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
