import type { DatabaseHandle } from '@mister-smith/core';
import { sql } from 'kysely';
import type { WaitInfo } from '../waits/WaitRequest.js';
import type { RuntimeChanges } from './runAgentCommand.js';

/** A due timer as the scheduler reads it. */
export interface DueTimer {
  readonly agentId: string;
  readonly agentType: string;
  readonly timerId: string;
  readonly dueAt: number;
}

/**
 * The PostgreSQL indexes of timers and waits (`mister_smith.agent_timers`, `mister_smith.agent_waits`).
 * The agent's `_runtime` state is the truth: rows are written before a change commits (so a COLD
 * agent's timer is always findable) and removed after; a row the state no longer backs is harmless
 * (its fire is a no-op) and removed by `drop`.
 */
export interface RuntimeIndex {
  /** Upserts the timers and waits a command sets (before its commit). */
  beforeCommit(agentId: string, agentType: string, changes: RuntimeChanges): Promise<void>;
  /** Deletes the timers and waits a command removed (after its commit). */
  afterCommit(agentId: string, changes: RuntimeChanges): Promise<void>;
  /** Replaces an agent's rows by what its state holds (after hydration: repairs a crash between commit and cleanup). */
  reconcile(agentId: string, agentType: string, changes: RuntimeChanges, keepTimers: readonly string[], keepWaits: readonly string[]): Promise<void>;
  /** Timers due up to `until` (ms), earliest first. */
  due(until: number, limit: number): Promise<DueTimer[]>;
  /** Deletes a timer row if it still has `dueAt` (a fire the state did not back). */
  drop(agentId: string, timerId: string, dueAt: number): Promise<void>;
  /** Pending requests across the fleet (oldest first), or of one agent. */
  waits(options?: { readonly agentId?: string; readonly limit?: number }): Promise<WaitInfo[]>;
  /** Armed timers across the fleet. */
  count(): Promise<number>;
}

/** Creates the {@link RuntimeIndex} over a database handle. */
export function createRuntimeIndex(pg: DatabaseHandle): RuntimeIndex {
  const db = pg.db;
  const index: RuntimeIndex = {
    async beforeCommit(agentId, agentType, changes) {
      if (changes.timersSet.length > 0) {
        await db.insertInto('mister_smith.agent_timers')
          .values(changes.timersSet.map((t) => ({ agent_id: agentId, timer_id: t.id, agent_type: agentType, due_at: new Date(t.dueAt), spec: JSON.stringify(t) })))
          .onConflict((oc) => oc.columns(['agent_id', 'timer_id']).doUpdateSet((eb) => ({ due_at: eb.ref('excluded.due_at'), spec: eb.ref('excluded.spec'), agent_type: eb.ref('excluded.agent_type'), updated_at: sql<Date>`now()` })))
          .execute();
      }
      if (changes.waitsSet.length > 0) {
        await db.insertInto('mister_smith.agent_waits')
          .values(changes.waitsSet.map((w) => ({
            agent_id: agentId, request_id: w.requestId, agent_type: agentType, payload: w.payload === undefined ? null : JSON.stringify(w.payload),
            deadline: w.deadline === undefined ? null : new Date(w.deadline), created_at: new Date(w.createdAt),
          })))
          .onConflict((oc) => oc.columns(['agent_id', 'request_id']).doUpdateSet((eb) => ({ payload: eb.ref('excluded.payload'), deadline: eb.ref('excluded.deadline') })))
          .execute();
      }
    },
    async afterCommit(agentId, changes) {
      if (changes.timersDeleted.length > 0) {
        await db.deleteFrom('mister_smith.agent_timers').where('agent_id', '=', agentId).where('timer_id', 'in', [...changes.timersDeleted]).execute();
      }
      if (changes.waitsDeleted.length > 0) {
        await db.deleteFrom('mister_smith.agent_waits').where('agent_id', '=', agentId).where('request_id', 'in', [...changes.waitsDeleted]).execute();
      }
    },
    async reconcile(agentId, agentType, changes, keepTimers, keepWaits) {
      await index.beforeCommit(agentId, agentType, changes);
      let t = db.deleteFrom('mister_smith.agent_timers').where('agent_id', '=', agentId);
      if (keepTimers.length > 0) t = t.where('timer_id', 'not in', [...keepTimers]);
      await t.execute();
      let w = db.deleteFrom('mister_smith.agent_waits').where('agent_id', '=', agentId);
      if (keepWaits.length > 0) w = w.where('request_id', 'not in', [...keepWaits]);
      await w.execute();
    },
    async due(until, limit) {
      const rows = await db.selectFrom('mister_smith.agent_timers').select(['agent_id', 'agent_type', 'timer_id', 'due_at'])
        .where('due_at', '<=', new Date(until)).orderBy('due_at').limit(limit).execute();
      return rows.map((r) => ({ agentId: r.agent_id, agentType: r.agent_type, timerId: r.timer_id, dueAt: r.due_at.getTime() }));
    },
    async drop(agentId, timerId, dueAt) {
      await db.deleteFrom('mister_smith.agent_timers').where('agent_id', '=', agentId).where('timer_id', '=', timerId).where('due_at', '=', new Date(dueAt)).execute();
    },
    async waits(options = {}) {
      let q = db.selectFrom('mister_smith.agent_waits').select(['agent_id', 'agent_type', 'request_id', 'payload', 'deadline', 'created_at']);
      if (options.agentId !== undefined) q = q.where('agent_id', '=', options.agentId);
      const rows = await q.orderBy('created_at').orderBy('agent_id').limit(options.limit ?? 1000).execute();
      return rows.map((r) => ({
        agentId: r.agent_id, agentType: r.agent_type, requestId: r.request_id, ...(r.payload !== null ? { payload: r.payload } : {}),
        ...(r.deadline ? { deadline: r.deadline.toISOString() } : {}), createdAt: r.created_at.toISOString(),
      }));
    },
    async count() {
      const r = await db.selectFrom('mister_smith.agent_timers').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
  return index;
}
