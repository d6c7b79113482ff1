import type { DatabaseHandle } from '@mister-smith/core';

/** Runs raw SQL on a pooled client and returns the rows (tests and benchmarks). */
export async function queryRows<T extends Record<string, unknown>>(pg: DatabaseHandle, text: string, values: unknown[] = []): Promise<T[]> {
  return pg.withClient(async (c) => (await c.query<T>(text, values)).rows);
}

/** `agents.state` in a stable order, without `updated_at` (which records when, not what). */
export function stateSnapshot(pg: DatabaseHandle): Promise<Record<string, unknown>[]> {
  return queryRows(pg, `SELECT agent_id, state_key, state_value, meta, version_epoch, version, tombstone, strategy FROM agents.state ORDER BY agent_id, state_key`);
}

/** `agents.registry` in a stable order, without the bookkeeping timestamps. */
export function registrySnapshot(pg: DatabaseHandle): Promise<Record<string, unknown>[]> {
  return queryRows(pg, `SELECT agent_id, agent_type, status, supervisor_id, last_transition_at, last_heartbeat_at, version_epoch, version_seq FROM agents.registry ORDER BY agent_id`);
}

/** `mister_smith.task_view` in a stable order. */
export function taskViewSnapshot(pg: DatabaseHandle): Promise<Record<string, unknown>[]> {
  return queryRows(pg, `SELECT * FROM mister_smith.task_view ORDER BY task_id`);
}
