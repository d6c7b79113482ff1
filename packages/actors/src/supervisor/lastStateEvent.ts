import {
  classifyNatsError, decodeEvent, jsApiCode, JsCodes, MisterSmithError, namespacedSubject, stateSubject,
  type EventEnvelope, type NatsHandle, type Topology,
} from '@mister-smith/core';

/** The last event stored on `agents.state.<agentId>` (event undefined when it is not decodable). */
export interface LastStateEvent {
  readonly seq: number;
  readonly event: EventEnvelope | undefined;
}

/**
 * Reads the last message on an agent's state subject (one direct stream request): how an owner
 * whose fenced append failed tells a takeover (someone's OwnershipAcquired) from another event
 * (e.g. a StateEditedInSql the bridge published).
 */
export async function lastStateEvent(nats: NatsHandle, topology: Topology, agentId: string): Promise<LastStateEvent | undefined> {
  const subject = namespacedSubject(topology.namespace, stateSubject(agentId));
  let m;
  try {
    m = await nats.jsm.streams.getMessage(topology.streams.agentState.name, { last_by_subj: subject });
  } catch (e) {
    if (jsApiCode(e) === JsCodes.messageNotFound) return undefined;
    throw classifyNatsError(e, `reading the last event of ${agentId}`);
  }
  if (!m) return undefined;
  try {
    return { seq: m.seq, event: decodeEvent(m.data) };
  } catch (e) {
    if (MisterSmithError.is(e)) return { seq: m.seq, event: undefined };
    throw e;
  }
}
