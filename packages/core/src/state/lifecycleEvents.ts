import { assertAgentId, assertSubjectToken } from '../config/identifiers.js';
import { createEvent } from '../events/createEvent.js';
import type { Event } from '../events/EventEnvelope.js';

/** The agent lifecycle of seed section 4. */
export type LifecycleState = 'COLD' | 'HYDRATING' | 'ACTIVE' | 'FLUSHING' | 'EXPIRED';

/** Every lifecycle state, in lifecycle order. */
export const LIFECYCLE_STATES: readonly LifecycleState[] = ['COLD', 'HYDRATING', 'ACTIVE', 'FLUSHING', 'EXPIRED'];

/** Data of `AgentLifecycleChanged` on `agents.lifecycle.<agentId>`. */
export interface AgentLifecycleChangedData {
  readonly from: LifecycleState;
  readonly to: LifecycleState;
  readonly reason: string;
  readonly agentType: string;
  readonly supervisorId: string;
}

/** Data of `SupervisorHeartbeat` on `agents.heartbeat.<supervisorId>`: one message per supervisor per interval. */
export interface SupervisorHeartbeatData {
  readonly supervisorId: string;
  /** Ids of the agents ACTIVE (or FLUSHING) in this supervisor. */
  readonly agents: readonly string[];
  readonly intervalMs: number;
}

export type AgentLifecycleChanged = Event<'AgentLifecycleChanged', AgentLifecycleChangedData>;
export type SupervisorHeartbeat = Event<'SupervisorHeartbeat', SupervisorHeartbeatData>;

/** Builds an `AgentLifecycleChanged` event. */
export function lifecycleChanged(agentId: string, data: AgentLifecycleChangedData): AgentLifecycleChanged {
  return createEvent({ type: 'AgentLifecycleChanged', subject: `agents.lifecycle.${assertAgentId(agentId)}`, agentId, data });
}

/** Builds a `SupervisorHeartbeat` event. */
export function supervisorHeartbeat(data: SupervisorHeartbeatData): SupervisorHeartbeat {
  return createEvent({ type: 'SupervisorHeartbeat', subject: `agents.heartbeat.${assertSubjectToken(data.supervisorId, 'supervisor id')}`, data });
}
