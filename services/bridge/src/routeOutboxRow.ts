import { MisterSmithError, assertAgentId, assertSubject, msError, type Topology } from '@mister-smith/core';
import type { OutboxRow } from './OutboxStore.js';
import { subjectMatches } from '@mister-smith/core';

/** Which of the topology's streams an outbox row is published to. */
export type OutboxRoute = 'agentState' | 'taskExecution';

/**
 * Picks the stream of an outbox row (`agents.*` -> AGENT_STATE, `tasks.*` -> TASK_EXECUTION) and
 * checks everything that would make the publish fail forever: a malformed subject, a subject the
 * stream does not capture, an invalid agent id in `agents.state.<agentId>`, a bad event type.
 * Throws INVALID_SUBJECT, INVALID_ID or MALFORMED_EVENT; the bridge dead-letters such rows.
 */
export function routeOutboxRow(row: OutboxRow, topology: Topology): OutboxRoute {
  assertSubject(row.subject);
  const route = routeOfSubject(row.subject);
  if (route === undefined) {
    throw msError('INVALID_SUBJECT', `outbox subject ${row.subject} belongs to no stream the bridge publishes to (agents.*, tasks.*)`, { details: { subject: row.subject } });
  }
  const spec = topology.streams[route];
  const prefix = topology.namespace ? `${topology.namespace}.` : '';
  const captured = spec.subjects.some((s) => subjectMatches(s.startsWith(prefix) ? s.slice(prefix.length) : s, row.subject));
  if (!captured) {
    throw msError('INVALID_SUBJECT', `outbox subject ${row.subject} is not captured by stream ${spec.name}`, { details: { subject: row.subject, stream: spec.name } });
  }
  if (row.subject.startsWith('agents.state.')) {
    const tokens = row.subject.split('.');
    const agentId = assertAgentId(tokens[2]);
    const named = payloadField(row.payload, 'agent_id');
    if (tokens.length !== 3 || (named !== undefined && named !== agentId)) {
      throw msError('INVALID_ID', `outbox subject ${row.subject} does not name the row's agent ${JSON.stringify(named)}`, { details: { subject: row.subject, agentId: named } });
    }
  }
  if (row.eventType.length === 0 || row.eventType.length > 128) {
    throw msError('MALFORMED_EVENT', `outbox row ${row.id} has an event type of ${row.eventType.length} characters (1-128 allowed)`, { details: { outboxId: row.id } });
  }
  return route;
}

/** The stream family of a logical subject by its first token, undefined for neither `agents.` nor `tasks.`. */
export function routeOfSubject(subject: string): OutboxRoute | undefined {
  return subject.startsWith('agents.') ? 'agentState' : subject.startsWith('tasks.') ? 'taskExecution' : undefined;
}

/** The agent an outbox payload is about: `agent_id`, else `assigned_agent_id`, when valid. */
export function outboxAgentId(payload: unknown): string | undefined {
  for (const field of ['agent_id', 'assigned_agent_id']) {
    const v = payloadField(payload, field);
    if (v === undefined || v === null) continue;
    try {
      return assertAgentId(v);
    } catch (e) {
      if (!MisterSmithError.is(e, 'INVALID_ID')) throw e;
    }
  }
  return undefined;
}

function payloadField(payload: unknown, field: string): unknown {
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>)[field] : undefined;
}
