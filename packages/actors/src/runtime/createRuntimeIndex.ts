import type { DatabaseHandle } from '@mister-smith/core';
import { sql } from 'kysely';
import type { WaitInfo } from '../waits/WaitRequest.js';
import type { RuntimeChanges } from './runAgentCommand.js';
import type { TimerRecord, WaitRecord } from './RuntimeState.js';

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

type Op =
  | { readonly table: 'timers'; readonly agentId: string; readonly id: string; readonly row?: { agentType: string; record: TimerRecord } }
  | { readonly table: 'waits'; readonly agentId: string; readonly id: string; readonly row?: { agentType: string; record: WaitRecord } };

/**
 * Coalesces index writes of concurrent commands into one upsert and one delete per table, one
 * batch in flight at a time (the next forms behind it), so a burst of commands takes one pooled
 * connection instead of one each. Per key the last operation wins.
 */
function createIndexBatcher(db: DatabaseHandle['db']) {
  let pending = new Map<string, Op>();
  let waiters: { resolve(): void; reject(e: unknown): void }[] = [];
  let inflight: Promise<void> | undefined;

  async function write(ops: readonly Op[]): Promise<void> {
    const timerRows = ops.flatMap((o) => (o.table === 'timers' && o.row ? [{ agent_id: o.agentId, timer_id: o.id, agent_type: o.row.agentType, due_at: new Date(o.row.record.dueAt), spec: JSON.stringify(o.row.record) }] : []));
    const waitRows = ops.flatMap((o) => (o.table === 'waits' && o.row ? [{
      agent_id: o.agentId, request_id: o.id, agent_type: o.row.agentType, payload: o.row.record.payload === undefined ? null : JSON.stringify(o.row.record.payload),
      deadline: o.row.record.deadline === undefined ? null : new Date(o.row.record.deadline), created_at: new Date(o.row.record.createdAt),
    }] : []));
    const timerDeletes = ops.filter((o) => o.table === 'timers' && !o.row);
    const waitDeletes = ops.filter((o) => o.table === 'waits' && !o.row);
    if (timerRows.length > 0) {
      await db.insertInto('mister_smith.agent_timers').values(timerRows)
        .onConflict((oc) => oc.columns(['agent_id', 'timer_id']).doUpdateSet((eb) => ({ due_at: eb.ref('excluded.due_at'), spec: eb.ref('excluded.spec'), agent_type: eb.ref('excluded.agent_type'), updated_at: sql<Date>`now()` })))
        .execute();
    }
    if (waitRows.length > 0) {
      await db.insertInto('mister_smith.agent_waits').values(waitRows)
        .onConflict((oc) => oc.columns(['agent_id', 'request_id']).doUpdateSet((eb) => ({ payload: eb.ref('excluded.payload'), deadline: eb.ref('excluded.deadline') })))
        .execute();
    }
    if (timerDeletes.length > 0) {
      await sql`DELETE FROM mister_smith.agent_timers t USING unnest(${timerDeletes.map((o) => o.agentId)}::text[], ${timerDeletes.map((o) => o.id)}::text[]) AS d(agent_id, id)
        WHERE t.agent_id = d.agent_id AND t.timer_id = d.id`.execute(db);
    }
    if (waitDeletes.length > 0) {
      await sql`DELETE FROM mister_smith.agent_waits w USING unnest(${waitDeletes.map((o) => o.agentId)}::text[], ${waitDeletes.map((o) => o.id)}::text[]) AS d(agent_id, id)
        WHERE w.agent_id = d.agent_id AND w.request_id = d.id`.execute(db);
    }
  }

  function drain(): void {
    if (inflight || pending.size === 0) return;
    const ops = [...pending.values()];
    const batch = waiters;
    pending = new Map();
    waiters = [];
    inflight = write(ops).then(
      () => { for (const w of batch) w.resolve(); },
      (e: unknown) => { for (const w of batch) w.reject(e); },
    ).finally(() => { inflight = undefined; drain(); });
  }

  return (ops: readonly Op[]): Promise<void> => {
    if (ops.length === 0) return Promise.resolve();
    for (const o of ops) {
      const key = `${o.table}/${o.agentId}/${o.id}`;
      pending.delete(key);
      pending.set(key, o);
    }
    return new Promise<void>((resolve, reject) => { waiters.push({ resolve, reject }); drain(); });
  };
}

/** Creates the {@link RuntimeIndex} over a database handle. */
export function createRuntimeIndex(pg: DatabaseHandle): RuntimeIndex {
  const db = pg.db;
  const batch = createIndexBatcher(db);
  const index: RuntimeIndex = {
    beforeCommit(agentId, agentType, changes) {
      return batch([
        ...changes.timersSet.map((t): Op => ({ table: 'timers', agentId, id: t.id, row: { agentType, record: t } })),
        ...changes.waitsSet.map((w): Op => ({ table: 'waits', agentId, id: w.requestId, row: { agentType, record: w } })),
      ]);
    },
    afterCommit(agentId, changes) {
      return batch([
        ...changes.timersDeleted.map((id): Op => ({ table: 'timers', agentId, id })),
        ...changes.waitsDeleted.map((id): Op => ({ table: 'waits', agentId, id })),
      ]);
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
