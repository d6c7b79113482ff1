import type { EventEnvelope, EventLog } from '@mister-smith/core';
import type { TestEnv } from '@mister-smith/core/testing';
import { sql } from 'kysely';

/** Reads every event under `filter` currently in the stream. */
export async function eventsOf(log: EventLog, filter: string): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  for await (const item of log.read({ filter })) if (item.kind === 'event') out.push(item.record.event);
  return out;
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `agents.state` rows of an agent: key -> value. */
export async function stateRows(env: TestEnv, agentId?: string): Promise<Map<string, unknown>> {
  const r = await sql<{ agent_id: string; state_key: string; state_value: unknown }>`SELECT agent_id, state_key, state_value FROM agents.state WHERE tombstone = false AND (${agentId ?? null}::text IS NULL OR agent_id = ${agentId ?? null})`.execute(env.pg.db);
  return new Map(r.rows.map((row) => [agentId ? row.state_key : `${row.agent_id}.${row.state_key}`, row.state_value]));
}
