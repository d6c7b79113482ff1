import { assertAgentId, LIFECYCLE_STATES, msError, type AgentLifecycleChangedData, type SupervisorHeartbeatData } from '@mister-smith/core';
import type { Projection } from '../types/Projection.js';
import type { ProjectionEvent } from '../types/ProjectionItem.js';
import { untyped } from './untypedTables.js';

const TABLE = 'agents.registry';
const STATES: ReadonlySet<string> = new Set(LIFECYCLE_STATES);

type RegistryRow = {
  agent_id: string;
  agent_type: string;
  status: string;
  supervisor_id: string;
  last_transition_at: Date;
  version_epoch: number;
  version_seq: number;
};

/**
 * Agent registry: `AgentLifecycleChanged` -> `agents.registry` (status, agent type, supervisor,
 * last transition; version-guarded by (epoch, seq), so replays are no-ops) and `SupervisorHeartbeat`
 * -> `last_heartbeat_at` of the agents it lists (only agents the registry knows; it only moves
 * forward). Reads `agents.lifecycle.>` and `agents.heartbeat.>` (the whole stream, filtered here).
 *
 * The result does not depend on how events are batched: heartbeats apply to agents known before
 * the batch and to agents whose first lifecycle event in the batch precedes them.
 */
export function agentRegistryProjection(options: { readonly name?: string } = {}): Projection {
  return {
    name: options.name ?? 'agent-registry',
    stream: 'agentState',
    subjects: ['agents.lifecycle.>', 'agents.heartbeat.>'],
    tables: [TABLE],
    async apply(items, ctx) {
      const newest = new Map<string, RegistryRow>();
      const firstSeq = new Map<string, number>();
      const beats: { seq: number; at: Date; agents: readonly string[] }[] = [];
      for (const item of items) {
        if (item.kind !== 'event') throw item.error;
        if (item.event.type === 'AgentLifecycleChanged') {
          const row = lifecycleRow(item);
          newest.set(row.agent_id, row);
          if (!firstSeq.has(row.agent_id)) firstSeq.set(row.agent_id, item.seq);
        } else if (item.event.type === 'SupervisorHeartbeat') {
          beats.push({ seq: item.seq, at: new Date(item.event.time), agents: heartbeatAgents(item) });
        } else {
          throw msError('PROJECTION_FAILED', `agent-registry does not handle event type ${item.event.type}`, { details: { type: item.event.type, seq: item.seq } });
        }
      }
      const db = untyped(ctx.trx);
      const table = ctx.table(TABLE);
      const beat = async (latest: Map<string, number>) => {
        const byTime = new Map<number, string[]>();
        for (const [agent, t] of latest) {
          const list = byTime.get(t);
          if (list) list.push(agent);
          else byTime.set(t, [agent]);
        }
        for (const [t, agents] of byTime) {
          await db.updateTable(table)
            .set((eb) => ({ last_heartbeat_at: eb.fn('greatest', [eb.ref('last_heartbeat_at'), eb.val(new Date(t))]), updated_at: eb.fn('now', []) }))
            .where('agent_id', 'in', agents).execute();
        }
      };
      // 1. Heartbeats for agents that existed before this batch (an UPDATE touches nothing else).
      const before = new Map<string, number>();
      for (const b of beats) for (const a of b.agents) before.set(a, Math.max(before.get(a) ?? 0, b.at.getTime()));
      if (before.size > 0) await beat(before);
      // 2. Lifecycle transitions.
      if (newest.size > 0) {
        await db.insertInto(table).values([...newest.values()])
          .onConflict((oc) => oc.column('agent_id').doUpdateSet((eb) => ({
            agent_type: eb.ref('excluded.agent_type'), status: eb.ref('excluded.status'), supervisor_id: eb.ref('excluded.supervisor_id'),
            last_transition_at: eb.ref('excluded.last_transition_at'), version_epoch: eb.ref('excluded.version_epoch'),
            version_seq: eb.ref('excluded.version_seq'), updated_at: eb.fn('now', []),
          })).where((eb) => eb(eb.refTuple(`${table}.version_epoch`, `${table}.version_seq`), '<', eb.refTuple('excluded.version_epoch', 'excluded.version_seq'))))
          .execute();
      }
      // 3. Heartbeats after an agent's first transition in this batch (it exists now).
      const after = new Map<string, number>();
      for (const b of beats) {
        for (const a of b.agents) {
          const first = firstSeq.get(a);
          if (first !== undefined && first < b.seq) after.set(a, Math.max(after.get(a) ?? 0, b.at.getTime()));
        }
      }
      if (after.size > 0) await beat(after);
    },
  };
}

function lifecycleRow(item: ProjectionEvent): RegistryRow {
  const e = item.event;
  const d = e.data as Partial<AgentLifecycleChangedData> | null;
  const bad = (why: string) => msError('MALFORMED_EVENT', `AgentLifecycleChanged ${e.id}: ${why}`, { details: { id: e.id, reason: why } });
  if (!d || typeof d !== 'object') throw bad('data is not an object');
  const agentId = assertAgentId(e.agentId ?? item.subject.split('.').pop());
  if (typeof d.to !== 'string' || !STATES.has(d.to)) throw bad(`unknown lifecycle state ${JSON.stringify(d.to)}`);
  if (typeof d.agentType !== 'string' || d.agentType.length === 0) throw bad('agentType missing');
  if (typeof d.supervisorId !== 'string') throw bad('supervisorId missing');
  return {
    agent_id: agentId, agent_type: d.agentType, status: d.to, supervisor_id: d.supervisorId,
    last_transition_at: new Date(e.time), version_epoch: item.epoch, version_seq: item.seq,
  };
}

function heartbeatAgents(item: ProjectionEvent): readonly string[] {
  const d = item.event.data as Partial<SupervisorHeartbeatData> | null;
  if (!d || typeof d !== 'object' || !Array.isArray(d.agents)) {
    throw msError('MALFORMED_EVENT', `SupervisorHeartbeat ${item.event.id}: agents must be a list`, { details: { id: item.event.id } });
  }
  return [...new Set(d.agents.map((a) => assertAgentId(a)))];
}
