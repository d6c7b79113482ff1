import { decodeEvent } from '@mister-smith/core';
import type { RawStreamMessage } from './scanStream.js';

/** What the AGENT_STATE stream says about where each agent was ACTIVE. */
export interface ActiveIntervalReport {
  /** `->ACTIVE` transitions seen, per supervisor. */
  readonly activations: Record<string, number>;
  /** OwnershipAcquired events seen, per supervisor. */
  readonly ownershipAcquired: Record<string, number>;
  /** ACTIVE intervals of `killed` closed by another supervisor's OwnershipAcquired (no transition of its own). */
  readonly closedByTakeover: number;
  /** An agent ACTIVE in two supervisors at once, in stream order: what happened, where. */
  readonly overlaps: string[];
  /** Agents still ACTIVE at the end of the stream, by supervisor. */
  readonly openAtEnd: Record<string, string>;
}

/**
 * Walks `agents.lifecycle.<id>` (AgentLifecycleChanged { from, to, supervisorId }) and
 * `agents.state.<id>` OwnershipAcquired { supervisorId } events of `agents` in stream order, and
 * checks that the `[->ACTIVE, ACTIVE->]` intervals of different supervisors never overlap. A
 * supervisor killed with SIGKILL publishes no transition: its open interval is closed by another
 * supervisor's OwnershipAcquired on the agent's state subject (the fence that rejects its writes),
 * and only for `killed`; any other overlap is reported.
 */
export function checkActiveIntervals(messages: readonly RawStreamMessage[], namespace: string, agents: readonly string[], killed: string): ActiveIntervalReport {
  const wanted = new Set(agents);
  const activations: Record<string, number> = {};
  const ownershipAcquired: Record<string, number> = {};
  const overlaps: string[] = [];
  const active = new Map<string, { sup: string; seq: number }>();
  let closedByTakeover = 0;
  const lifecyclePrefix = `${namespace}.agents.lifecycle.`;
  const statePrefix = `${namespace}.agents.state.`;
  for (const m of [...messages].sort((a, b) => a.seq - b.seq)) {
    const isLifecycle = m.subject.startsWith(lifecyclePrefix);
    if (!isLifecycle && !m.subject.startsWith(statePrefix)) continue;
    const agentId = m.subject.slice((isLifecycle ? lifecyclePrefix : statePrefix).length);
    if (!wanted.has(agentId)) continue;
    let e: { type: string; data: { from?: string; to?: string; supervisorId?: string } };
    try { e = decodeEvent(m.data) as typeof e; } catch { continue; }
    const sup = e.data?.supervisorId ?? '?';
    const open = active.get(agentId);
    if (isLifecycle && e.type === 'AgentLifecycleChanged') {
      if (e.data.to === 'ACTIVE') {
        activations[sup] = (activations[sup] ?? 0) + 1;
        if (open && open.sup !== sup) overlaps.push(`${agentId}: ACTIVE in ${sup} at seq ${m.seq} while ACTIVE in ${open.sup} since seq ${open.seq}`);
        active.set(agentId, { sup, seq: m.seq });
      } else if (e.data.from === 'ACTIVE') {
        if (open?.sup === sup) active.delete(agentId);
      }
    } else if (!isLifecycle && e.type === 'OwnershipAcquired') {
      ownershipAcquired[sup] = (ownershipAcquired[sup] ?? 0) + 1;
      if (open && open.sup !== sup) {
        if (open.sup === killed) { closedByTakeover++; active.delete(agentId); }
        else overlaps.push(`${agentId}: OwnershipAcquired by ${sup} at seq ${m.seq} while ACTIVE in ${open.sup} (not the killed supervisor) since seq ${open.seq}`);
      }
    }
  }
  return { activations, ownershipAcquired, closedByTakeover, overlaps, openAtEnd: Object.fromEntries([...active].map(([a, o]) => [a, o.sup])) };
}
