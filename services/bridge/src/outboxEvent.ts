import { createEvent, type EventEnvelope } from '@mister-smith/core';
import { outboxEventId } from './outboxEventId.js';
import type { OutboxRow } from './OutboxStore.js';
import { outboxAgentId } from './routeOutboxRow.js';

/**
 * Wraps an outbox row in the standard envelope: its event type and logical subject, the agent it is
 * about, the row's creation time, and an event id derived from `msgId` (stable across re-publishes).
 * `data` defaults to the row's payload; reference events pass their reference instead.
 */
export function outboxEvent(row: OutboxRow, msgId: string, data: unknown = row.payload): EventEnvelope {
  const agentId = outboxAgentId(row.payload);
  return createEvent({
    id: outboxEventId(msgId, row.createdAt),
    time: row.createdAt,
    type: row.eventType,
    subject: row.subject,
    ...(agentId !== undefined ? { agentId } : {}),
    data,
  });
}
