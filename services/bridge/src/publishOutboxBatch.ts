import { MisterSmithError, msError, type EventEnvelope, type EventLog, type Topology } from '@mister-smith/core';
import { outboxEvent } from './outboxEvent.js';
import { outboxMsgId } from './outboxEventId.js';
import type { DeadLetterEntry, OutboxRow, OutboxStore } from './OutboxStore.js';
import { referenceData } from './referenceData.js';
import { outboxAgentId, routeOfSubject, routeOutboxRow, type OutboxRoute } from './routeOutboxRow.js';

/** What a batch needs to publish. */
export interface PublishContext {
  readonly topology: Topology;
  readonly logs: Readonly<Record<OutboxRoute, EventLog>>;
  readonly store: OutboxStore;
  readonly systemIdentifier: string;
  /** Largest encoded event published inline, per stream; larger ones go by reference. */
  readonly inlineLimit: Readonly<Record<OutboxRoute, number>>;
  readonly timeoutMs: number;
}

/** One row published (and marked). */
export interface PublishedRow {
  readonly id: number;
  readonly route: OutboxRoute;
  readonly duplicate: boolean;
  readonly byReference: boolean;
}

/** The outcome of one batch: what was published and marked, what was dead-lettered, and the first failure. */
export interface BatchOutcome {
  readonly published: readonly PublishedRow[];
  readonly deadLettered: readonly DeadLetterEntry[];
  /** Set when some rows could not be published now (NATS down, timeout); they stay unpublished. */
  readonly error?: MisterSmithError;
}

interface Prepared {
  readonly row: OutboxRow;
  readonly route: OutboxRoute;
  readonly msgId: string;
  readonly event: EventEnvelope;
  readonly byReference: boolean;
}

/** Error codes that no retry can fix: the row is dead-lettered. */
const ROW_ERRORS = ['INVALID_SUBJECT', 'INVALID_ID', 'MALFORMED_EVENT', 'PAYLOAD_TOO_LARGE'] as const;

/**
 * Publishes a batch of outbox rows (in id order) and marks the acknowledged ones published.
 * Publishes are pipelined: all are sent in order before the acks are awaited, and a row is marked
 * only after its ack. Rows that can never be published are dead-lettered (and marked); rows that
 * failed for a transient reason stay unpublished for the next round.
 */
export async function publishOutboxBatch(rows: readonly OutboxRow[], ctx: PublishContext): Promise<BatchOutcome> {
  const dead: DeadLetterEntry[] = [];
  const prepared: Prepared[] = [];
  // A row about an erased agent (an SQL edit that raced the erasure) is dropped, never published.
  const erased = await ctx.store.erasedAmong(rows.flatMap((r) => outboxAgentId(r.payload) ?? []));
  const dropped = erased.size === 0 ? [] : rows.filter((r) => erased.has(outboxAgentId(r.payload) ?? ''));
  await ctx.store.markPublished(dropped.map((r) => r.id));
  for (const row of rows) {
    if (dropped.includes(row)) continue;
    try {
      prepared.push(await prepare(row, routeOutboxRow(row, ctx.topology), ctx));
    } catch (e) {
      if (!isRowError(e)) throw e;
      const route = routeOfSubject(row.subject);
      dead.push({ row, stream: route ? ctx.topology.streams[route].name : null, reason: reasonOf(e) });
    }
  }
  await ctx.store.deadLetter(dead);

  const settled = await Promise.allSettled(
    prepared.map((p) => ctx.logs[p.route].append(p.event, { msgId: p.msgId, timeoutMs: ctx.timeoutMs })),
  );
  const published: PublishedRow[] = [];
  const lateDead: DeadLetterEntry[] = [];
  let error: MisterSmithError | undefined;
  for (const [i, p] of prepared.entries()) {
    const r = settled[i]!;
    if (r.status === 'fulfilled') {
      published.push({ id: p.row.id, route: p.route, duplicate: r.value.duplicate, byReference: p.byReference });
      continue;
    }
    // The server's limit can be lower than the stream config says: fall back to a reference.
    if (MisterSmithError.is(r.reason, 'PAYLOAD_TOO_LARGE') && !p.byReference) {
      try {
        const ref = await prepareReference(p.row, p.route, p.msgId, ctx);
        const ack = await ctx.logs[p.route].append(ref.event, { msgId: p.msgId, timeoutMs: ctx.timeoutMs });
        published.push({ id: p.row.id, route: p.route, duplicate: ack.duplicate, byReference: true });
        continue;
      } catch (e) {
        if (isRowError(e)) { lateDead.push({ row: p.row, stream: ctx.topology.streams[p.route].name, reason: reasonOf(e) }); continue; }
        error ??= asError(e);
        continue;
      }
    }
    if (isRowError(r.reason)) { lateDead.push({ row: p.row, stream: ctx.topology.streams[p.route].name, reason: reasonOf(r.reason) }); continue; }
    error ??= asError(r.reason);
  }
  await ctx.store.markPublished(published.map((p) => p.id));
  await ctx.store.deadLetter(lateDead);
  return { published, deadLettered: [...dead, ...lateDead], ...(error ? { error } : {}) };
}

async function prepare(row: OutboxRow, route: OutboxRoute, ctx: PublishContext): Promise<Prepared> {
  const msgId = outboxMsgId(ctx.systemIdentifier, row.id);
  const event = outboxEvent(row, msgId);
  if (encodedSize(event) <= ctx.inlineLimit[route]) return { row, route, msgId, event, byReference: false };
  return prepareReference(row, route, msgId, ctx);
}

/** Stores the payload in `outbox_payloads` first, so a consumer can fetch it as soon as the event arrives. */
async function prepareReference(row: OutboxRow, route: OutboxRoute, msgId: string, ctx: PublishContext): Promise<Prepared> {
  const size = await ctx.store.storePayload(row.id);
  const event = outboxEvent(row, msgId, referenceData(row, size));
  const bytes = encodedSize(event);
  if (bytes > ctx.inlineLimit[route]) {
    throw msError('PAYLOAD_TOO_LARGE', `even the reference event of outbox row ${row.id} is ${bytes} bytes, over ${ctx.inlineLimit[route]}`, { details: { outboxId: row.id, size: bytes } });
  }
  return { row, route, msgId, event, byReference: true };
}

function encodedSize(event: EventEnvelope): number {
  return Buffer.byteLength(JSON.stringify(event));
}

function isRowError(e: unknown): e is MisterSmithError {
  return ROW_ERRORS.some((code) => MisterSmithError.is(e, code));
}

function reasonOf(e: MisterSmithError): string {
  return `${e.code}: ${e.message}`;
}

function asError(e: unknown): MisterSmithError {
  return MisterSmithError.is(e) ? e : msError('INTERNAL', `publishing an outbox row failed: ${String(e)}`, { cause: e });
}
