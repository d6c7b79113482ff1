import { sql, type Kysely } from 'kysely';
import type { Database } from '../pg/schema.js';
import type { AgentSnapshot, SnapshotPoint } from './AgentSnapshot.js';

/**
 * Stores a snapshot (`mister_smith.agent_snapshots`); writing the same position again is a no-op,
 * so two writers racing on one agent cannot disagree, and an erased agent gets none.
 */
export async function writeAgentSnapshot(db: Kysely<Database>, s: AgentSnapshot): Promise<void> {
  // Never for an erased agent: one statement, so an erasure either sees this row (and deletes it)
  // or this insert sees the erasure's record (ARCHITECTURE decision 6).
  await sql`
    INSERT INTO mister_smith.agent_snapshots (agent_id, epoch, seq, state, event_time, events)
    SELECT ${s.agentId}, ${s.epoch}, ${s.seq}, ${JSON.stringify(s.state)}::jsonb, ${s.time !== undefined ? new Date(s.time) : null}::timestamptz, ${s.events}
    WHERE NOT EXISTS (SELECT 1 FROM mister_smith.erased_agents WHERE agent_id = ${s.agentId})
    ON CONFLICT (agent_id, epoch, seq) DO NOTHING`.execute(db);
}

/**
 * The agent's newest snapshot of incarnation `point.epoch` at or before `point` (a sequence or a
 * time), or its newest of that incarnation when `point` has no bound: one indexed query.
 *
 * @example
 * const s = await latestAgentSnapshot(db, 'c1', { epoch, seq: 1200 }); // the fold starts after s.seq
 */
export async function latestAgentSnapshot(db: Kysely<Database>, agentId: string, point: SnapshotPoint | { readonly epoch: number }): Promise<AgentSnapshot | undefined> {
  let q = db.selectFrom('mister_smith.agent_snapshots').select(['epoch', 'seq', 'state', 'event_time', 'events'])
    .where('agent_id', '=', agentId).where('epoch', '=', point.epoch);
  if ('seq' in point) q = q.where('seq', '<=', point.seq);
  if ('time' in point) q = q.where('event_time', '<=', point.time);
  const r = await q.orderBy('seq', 'desc').limit(1).executeTakeFirst();
  if (!r) return undefined;
  return {
    agentId, epoch: Number(r.epoch), seq: Number(r.seq), state: r.state, events: Number(r.events),
    ...(r.event_time ? { time: r.event_time.toISOString() } : {}),
  };
}
