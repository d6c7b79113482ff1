import type { DatabaseHandle } from '@mister-smith/core';
import { sql } from 'kysely';

/** One row of the agents table. */
export interface AgentRow {
  readonly agentId: string;
  readonly agentType: string;
  readonly state: string;
  readonly owner: string | null;
  readonly lastTransitionAt: string | null;
  readonly lastHeartbeatAt: string | null;
  /** The last event seen for the agent (live feed), else its last transition. */
  readonly lastEvent: { readonly type: string; readonly time: string; readonly seq: number; readonly summary: string } | null;
  /** Pending human-in-the-loop requests and durable timers (the agent runtime's indexes). */
  readonly pending: PendingWork;
}

/** An agent's pending waits and timers, and when its next timer is due. */
export interface PendingWork {
  readonly waits: number;
  readonly timers: number;
  readonly nextTimerAt: string | null;
}

const NOTHING_PENDING: PendingWork = { waits: 0, timers: 0, nextTimerAt: null };

/** Pending waits and timers per agent (only agents that have any; at most `limit`). */
export async function readPendingWork(pg: DatabaseHandle, agentIds?: readonly string[], limit = 5000): Promise<Record<string, PendingWork>> {
  if (agentIds && agentIds.length === 0) return {};
  let timers = pg.db.selectFrom('mister_smith.agent_timers').select(['agent_id', sql<number>`count(*)::int`.as('n'), sql<Date>`min(due_at)`.as('next')]).groupBy('agent_id').limit(limit);
  let waits = pg.db.selectFrom('mister_smith.agent_waits').select(['agent_id', sql<number>`count(*)::int`.as('n')]).groupBy('agent_id').limit(limit);
  if (agentIds) { timers = timers.where('agent_id', 'in', agentIds); waits = waits.where('agent_id', 'in', agentIds); }
  const [t, w] = await Promise.all([timers.execute(), waits.execute()]);
  const out: Record<string, PendingWork> = {};
  for (const r of t) out[r.agent_id] = { waits: 0, timers: r.n, nextTimerAt: iso(r.next) };
  for (const r of w) out[r.agent_id] = { ...(out[r.agent_id] ?? NOTHING_PENDING), waits: r.n };
  return out;
}

/** The fleet at a glance, from the read models. */
export interface FleetSummary {
  readonly at: string;
  readonly agents: Readonly<Record<string, number>>;
  readonly totalAgents: number;
  readonly types: Readonly<Record<string, number>>;
  readonly owners: readonly { readonly supervisorId: string; readonly agents: number; readonly resident: number; readonly lastHeartbeatAt: string | null }[];
  readonly tasks: Readonly<Record<string, number>>;
  readonly recentTasks: readonly { readonly taskId: string; readonly taskType: string; readonly status: string; readonly agentId: string | null; readonly error: string | null; readonly changedAt: string }[];
  /** Messages appended to the three streams per second (0 until two samples exist). */
  readonly eventsPerSecond: number;
  /** Pending waits and timers of the agents that have any. */
  readonly pending: Readonly<Record<string, PendingWork>>;
}

/** Filters of the agents list. */
export interface AgentFilter {
  readonly q?: string;
  readonly type?: string;
  readonly state?: string;
  readonly owner?: string;
  readonly limit?: number;
}

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** Agents of the registry, filtered (id substring, exact type, state and owner), by id. */
export async function readAgents(pg: DatabaseHandle, f: AgentFilter = {}): Promise<AgentRow[]> {
  let q = pg.db.selectFrom('agents.registry').select(['agent_id', 'agent_type', 'status', 'supervisor_id', 'last_transition_at', 'last_heartbeat_at', 'version_seq']);
  if (f.q) q = q.where('agent_id', 'ilike', `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (f.type) q = q.where('agent_type', '=', f.type);
  if (f.state) q = q.where('status', '=', f.state);
  if (f.owner) q = q.where('supervisor_id', '=', f.owner);
  const rows = await q.orderBy('agent_id').limit(Math.min(f.limit ?? 1000, 5000)).execute();
  const pending = await readPendingWork(pg, rows.map((r) => r.agent_id));
  return rows.map((r) => ({
    agentId: r.agent_id, agentType: r.agent_type, state: r.status, owner: r.supervisor_id,
    lastTransitionAt: iso(r.last_transition_at), lastHeartbeatAt: iso(r.last_heartbeat_at),
    lastEvent: r.last_transition_at ? { type: 'AgentLifecycleChanged', time: iso(r.last_transition_at)!, seq: Number(r.version_seq), summary: `-> ${r.status}` } : null,
    pending: pending[r.agent_id] ?? NOTHING_PENDING,
  }));
}

/** Counts per lifecycle state, type and owner, and the tasks per status, from the read models. */
export async function readFleetSummary(pg: DatabaseHandle, eventsPerSecond: number): Promise<FleetSummary> {
  const db = pg.db;
  const [byState, byType, owners, tasks, recent, pending] = await Promise.all([
    db.selectFrom('agents.registry').select(['status', sql<number>`count(*)::int`.as('n')]).groupBy('status').execute(),
    db.selectFrom('agents.registry').select(['agent_type', sql<number>`count(*)::int`.as('n')]).groupBy('agent_type').execute(),
    db.selectFrom('agents.registry').select([
      'supervisor_id', sql<number>`count(*)::int`.as('n'),
      sql<number>`(count(*) FILTER (WHERE status IN ('HYDRATING','ACTIVE','FLUSHING')))::int`.as('resident'),
      sql<Date | null>`max(last_heartbeat_at)`.as('beat'),
    ]).where('supervisor_id', 'is not', null).groupBy('supervisor_id').orderBy('supervisor_id').execute(),
    db.selectFrom('mister_smith.task_view').select(['status', sql<number>`count(*)::int`.as('n')]).groupBy('status').execute(),
    db.selectFrom('mister_smith.task_view').select(['task_id', 'task_type', 'status', 'assigned_agent_id', 'error', 'changed_at']).orderBy('changed_at', 'desc').limit(8).execute(),
    readPendingWork(pg),
  ]);
  const count = (rows: readonly { n: number }[], key: (r: never) => string) => Object.fromEntries(rows.map((r) => [key(r as never), r.n]));
  return {
    at: new Date().toISOString(),
    agents: count(byState, (r: { status: string }) => r.status),
    totalAgents: byState.reduce((s, r) => s + r.n, 0),
    types: count(byType, (r: { agent_type: string }) => r.agent_type),
    owners: owners.map((o) => ({ supervisorId: o.supervisor_id!, agents: o.n, resident: o.resident, lastHeartbeatAt: iso(o.beat) })),
    tasks: count(tasks, (r: { status: string }) => r.status),
    recentTasks: recent.map((t) => ({ taskId: t.task_id, taskType: t.task_type, status: t.status, agentId: t.assigned_agent_id, error: t.error, changedAt: iso(t.changed_at)! })),
    eventsPerSecond,
    pending,
  };
}

/** A dead letter as the projections view lists it. */
export interface DeadLetterView {
  readonly id: number;
  readonly source: string;
  readonly subject: string | null;
  readonly seq: number | null;
  readonly reason: string;
  readonly createdAt: string;
}

/** Dead letters per source and the latest ones. */
export async function readDeadLetters(pg: DatabaseHandle, limit = 10): Promise<{ bySource: Record<string, number>; latest: DeadLetterView[] }> {
  const [bySource, latest] = await Promise.all([
    pg.db.selectFrom('mister_smith.dead_letters').select(['source', sql<number>`count(*)::int`.as('n')]).groupBy('source').execute(),
    pg.db.selectFrom('mister_smith.dead_letters').select(['id', 'source', 'subject', 'seq', 'reason', 'created_at']).orderBy('id', 'desc').limit(limit).execute(),
  ]);
  return {
    bySource: Object.fromEntries(bySource.map((r) => [r.source, r.n])),
    latest: latest.map((d) => ({ id: Number(d.id), source: d.source, subject: d.subject, seq: d.seq === null ? null : Number(d.seq), reason: d.reason, createdAt: iso(d.created_at)! })),
  };
}

/** Checkpoints as PostgreSQL holds them (shown even when no projector answers). */
export async function readCheckpoints(pg: DatabaseHandle): Promise<{ projection: string; stream: string; epoch: number; seq: number; status: string; reason: string | null; updatedAt: string }[]> {
  const rows = await pg.db.selectFrom('mister_smith.projection_checkpoints').select(['projection', 'stream', 'epoch', 'seq', 'status', 'reason', 'updated_at']).orderBy('projection').execute();
  return rows.map((r) => ({ projection: r.projection, stream: r.stream, epoch: Number(r.epoch), seq: Number(r.seq), status: r.status, reason: r.reason, updatedAt: iso(r.updated_at)! }));
}
