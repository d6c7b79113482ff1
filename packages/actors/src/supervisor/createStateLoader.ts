import { msError, type DatabaseHandle } from '@mister-smith/core';
import { sql } from 'kysely';

/** Loads agents' committed state from `agents.state`, batching concurrent loads into one query. */
export interface StateLoader {
  load(agentId: string): Promise<Record<string, unknown>>;
}

/**
 * Batched reader of `agents.state` used right after `StateStore.hydrateAgent`, which leaves
 * PostgreSQL complete up to the stream head (it flushes what it recovers from the stream). One
 * `= ANY($1)` query serves every activation started in the same tick, instead of a `readAll` per
 * agent (a query plus a KV key listing each).
 */
export function createStateLoader(pg: DatabaseHandle): StateLoader {
  let waiting = new Map<string, { resolve(v: Record<string, unknown>): void; reject(e: unknown): void }[]>();

  async function run(batch: typeof waiting): Promise<void> {
    const ids = [...batch.keys()];
    try {
      const r = await sql<{ agent_id: string; state_key: string; state_value: unknown }>`
        SELECT agent_id, state_key, state_value FROM agents.state WHERE agent_id = ANY(${ids}::text[]) AND NOT tombstone`.execute(pg.db);
      const byAgent = new Map<string, Record<string, unknown>>();
      for (const row of r.rows) {
        let s = byAgent.get(row.agent_id);
        if (!s) { s = {}; byAgent.set(row.agent_id, s); }
        s[row.state_key] = row.state_value;
      }
      for (const [id, ws] of batch) for (const w of ws) w.resolve({ ...(byAgent.get(id) ?? {}) });
    } catch (e) {
      const err = msError('POSTGRES_UNAVAILABLE', `loading the state of ${ids.length} agents failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
      for (const ws of batch.values()) for (const w of ws) w.reject(err);
    }
  }

  return {
    load(agentId) {
      return new Promise((resolve, reject) => {
        if (waiting.size === 0) setImmediate(() => { const b = waiting; waiting = new Map(); void run(b); });
        const list = waiting.get(agentId) ?? [];
        list.push({ resolve, reject });
        waiting.set(agentId, list);
      });
    },
  };
}
