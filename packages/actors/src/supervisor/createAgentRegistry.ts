import { LRUCache } from 'lru-cache';
import { msError, type DatabaseHandle } from '@mister-smith/core';
import { sql } from 'kysely';

/** A row of `agents.registry` as the supervisor reads it. */
export interface RegistryEntry {
  readonly agentId: string;
  readonly agentType: string;
  /** As maintained by the registry projection from lifecycle events ('COLD' until it sees one). */
  readonly status: string;
  readonly supervisorId: string | null;
}

/** The supervisor's small view of `agents.registry`. */
export interface AgentRegistry {
  /**
   * Registers an agent (insert, or merge metadata into the existing row). Never touches the
   * status, which the registry projection owns. INVALID_ARGUMENT when the agent exists with another type.
   */
  register(agentId: string, agentType: string, metadata?: Record<string, unknown>): Promise<void>;
  /** The registered type of an agent (cached), undefined when unknown. */
  typeOf(agentId: string): Promise<string | undefined>;
  /** Registered agents, by id. */
  list(options: { readonly status?: string; readonly limit: number; readonly exclude?: ReadonlySet<string> }): Promise<RegistryEntry[]>;
  /** Waits for the batch in flight. */
  stop(): Promise<void>;
}

interface Waiter { readonly agentId: string; readonly agentType: string; readonly metadata: Record<string, unknown>; resolve(): void; reject(e: unknown): void }

/**
 * Registry access with batching: registrations arriving in the same tick go to PostgreSQL as
 * one multi-row upsert, and type lookups as one `IN` query, so spawning thousands of agents
 * costs a handful of statements.
 */
export function createAgentRegistry(pg: DatabaseHandle, supervisorId: string, options: { cacheSize?: number } = {}): AgentRegistry {
  const db = pg.db;
  const cacheSize = options.cacheSize ?? 100_000;
  const types = new LRUCache<string, string>({ max: Math.max(1, cacheSize) });
  let batch: Waiter[] = [];
  let lookups = new Map<string, { resolve(t: string | undefined): void; reject(e: unknown): void }[]>();
  const inflight = new Set<Promise<void>>();

  const cache = (agentId: string, type: string) => {
    types.set(agentId, type);
  };
  const track = (p: Promise<void>) => { inflight.add(p); void p.finally(() => inflight.delete(p)); };
  const pgError = (e: unknown, what: string) => msError('POSTGRES_UNAVAILABLE', `${what} in agents.registry failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });

  async function writeBatch(items: Waiter[]): Promise<void> {
    // One statement cannot upsert a row twice: keep the first registration of each id, retry the rest.
    const first = new Map<string, Waiter>();
    const later: Waiter[] = [];
    for (const w of items) { if (first.has(w.agentId)) later.push(w); else first.set(w.agentId, w); }
    const rows = [...first.values()];
    try {
      const result = await sql<{ agent_id: string }>`
        INSERT INTO agents.registry AS r (agent_id, agent_type, metadata, supervisor_id)
        SELECT a, t, m, ${supervisorId} FROM unnest(${rows.map((w) => w.agentId)}::text[], ${rows.map((w) => w.agentType)}::text[], ${rows.map((w) => JSON.stringify(w.metadata))}::jsonb[]) AS u(a, t, m)
        ON CONFLICT (agent_id) DO UPDATE SET metadata = r.metadata || EXCLUDED.metadata, updated_at = now()
          WHERE r.agent_type = EXCLUDED.agent_type
        RETURNING agent_id`.execute(db);
      const ok = new Set(result.rows.map((r) => r.agent_id));
      const mismatched = rows.filter((w) => !ok.has(w.agentId));
      const existing = mismatched.length === 0 ? [] : await db.selectFrom('agents.registry').select(['agent_id', 'agent_type']).where('agent_id', 'in', mismatched.map((w) => w.agentId)).execute();
      const typeOfRow = new Map(existing.map((r) => [r.agent_id, r.agent_type]));
      for (const w of rows) {
        if (ok.has(w.agentId)) { cache(w.agentId, w.agentType); w.resolve(); continue; }
        const t = typeOfRow.get(w.agentId);
        if (t !== undefined) cache(w.agentId, t);
        w.reject(msError('INVALID_ARGUMENT', `agent ${w.agentId} already exists with type ${t ?? 'unknown'}, not ${w.agentType}`, { details: { agentId: w.agentId, agentType: t, requested: w.agentType } }));
      }
    } catch (e) {
      for (const w of rows) w.reject(pgError(e, 'registering agents'));
    }
    if (later.length > 0) await writeBatch(later);
  }

  async function lookupBatch(pendingLookups: typeof lookups): Promise<void> {
    const ids = [...pendingLookups.keys()];
    try {
      const rows = await db.selectFrom('agents.registry').select(['agent_id', 'agent_type']).where('agent_id', 'in', ids).execute();
      const found = new Map(rows.map((r) => [r.agent_id, r.agent_type]));
      for (const [id, waiters] of pendingLookups) {
        const t = found.get(id);
        if (t !== undefined) cache(id, t);
        for (const w of waiters) w.resolve(t);
      }
    } catch (e) {
      for (const waiters of pendingLookups.values()) for (const w of waiters) w.reject(pgError(e, 'looking up agents'));
    }
  }

  return {
    register(agentId, agentType, metadata = {}) {
      return new Promise<void>((resolve, reject) => {
        if (batch.length === 0) {
          setImmediate(() => { const items = batch; batch = []; track(writeBatch(items)); });
        }
        batch.push({ agentId, agentType, metadata, resolve, reject });
      });
    },
    typeOf(agentId) {
      const known = types.get(agentId);
      if (known !== undefined) return Promise.resolve(known);
      return new Promise<string | undefined>((resolve, reject) => {
        if (lookups.size === 0) {
          setImmediate(() => { const l = lookups; lookups = new Map(); track(lookupBatch(l)); });
        }
        const list = lookups.get(agentId) ?? [];
        list.push({ resolve, reject });
        lookups.set(agentId, list);
      });
    },
    async list({ status, limit, exclude }) {
      try {
        let q = db.selectFrom('agents.registry').select(['agent_id', 'agent_type', 'status', 'supervisor_id']).orderBy('agent_id').limit(limit + (exclude?.size ?? 0));
        if (status !== undefined) q = q.where('status', '=', status);
        const rows = await q.execute();
        return rows.filter((r) => !exclude?.has(r.agent_id)).slice(0, limit)
          .map((r) => ({ agentId: r.agent_id, agentType: r.agent_type, status: r.status, supervisorId: r.supervisor_id }));
      } catch (e) {
        throw pgError(e, 'listing agents');
      }
    },
    async stop() {
      while (inflight.size > 0 || batch.length > 0 || lookups.size > 0) {
        await new Promise((r) => setImmediate(r));
        await Promise.all([...inflight]);
      }
    },
  };
}
