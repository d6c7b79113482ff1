// Shared helpers of the bridge's int tests (not a test file itself: vitest runs *.int.test.ts only).
import { AckPolicy } from '@nats-io/jetstream';
import type { EventEnvelope, EventLog, RecordedEvent } from '@mister-smith/core';
import type { TestEnv } from '@mister-smith/core/testing';
import { pino } from 'pino';
import { vi } from 'vitest';
import type { BridgeOptions } from './Bridge.js';

/** A logger that stays quiet unless BRIDGE_TEST_LOG names a level. */
export const testLogger = () => pino({ level: process.env.BRIDGE_TEST_LOG ?? 'silent' });

/** Bridge options for a test env, with short intervals. */
export function bridgeOptions(env: TestEnv, extra: Partial<BridgeOptions> = {}): BridgeOptions {
  return { pg: env.pg, nats: env.nats, topology: env.topology, logger: testLogger(), pollIntervalMs: 200, lockRetryMs: 100, ...extra };
}

/**
 * TASK_EXECUTION uses interest retention: a message nobody is interested in is deleted on arrival.
 * A durable consumer without filter keeps every task event for the test to read.
 */
export async function keepTaskEvents(env: TestEnv): Promise<void> {
  await env.nats.jsm.consumers.add(env.topology.streams.taskExecution.name, { durable_name: 'test-reader', ack_policy: AckPolicy.None });
}

/** Every event stored under `filter`, in stream order. */
export async function readEvents(log: EventLog, filter: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const item of log.read({ filter })) {
    if (item.kind === 'event') out.push(item.record);
    if (item.kind === 'malformed') throw item.error;
  }
  return out;
}

/** Waits until `filter` holds `count` events (and returns them). */
export async function waitForEvents(log: EventLog, filter: string, count: number, timeout = 20_000): Promise<EventEnvelope[]> {
  let events: EventEnvelope[] = [];
  await vi.waitFor(async () => {
    events = (await readEvents(log, filter)).map((r) => r.event);
    if (events.length < count) throw new Error(`${events.length} of ${count} events on ${filter}`);
  }, { timeout, interval: 100 });
  return events;
}

/** Runs one SQL statement on the env's database. */
export async function sql<T = Record<string, unknown>>(env: TestEnv, text: string, values: unknown[] = []): Promise<T[]> {
  return env.pg.withClient(async (c) => (await c.query(text, values)).rows as T[]);
}

/** Outbox rows in id order. */
export interface OutboxRowView { id: number; subject: string; event_type: string; payload: Record<string, unknown>; published_at: Date | null; created_at: Date }

export const outboxRows = (env: TestEnv) => sql<OutboxRowView>(env, 'SELECT * FROM mister_smith.outbox ORDER BY id');

export async function unpublished(env: TestEnv): Promise<number> {
  const [r] = await sql<{ n: number }>(env, 'SELECT count(*)::int AS n FROM mister_smith.outbox WHERE published_at IS NULL');
  return r!.n;
}

/** Waits until every outbox row is published. */
export async function waitForDrained(env: TestEnv, timeout = 20_000): Promise<void> {
  await vi.waitFor(async () => {
    const n = await unpublished(env);
    if (n !== 0) throw new Error(`${n} outbox rows unpublished`);
  }, { timeout, interval: 100 });
}
