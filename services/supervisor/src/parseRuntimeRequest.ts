import type { TimerSpec } from '@mister-smith/actors';
import { assertAgentId, msError } from '@mister-smith/core';

/** The agent-runtime operations of the supervisor API (timers, waits). */
export const RUNTIME_OPERATIONS = ['timers', 'setTimer', 'cancelTimer', 'resume', 'waiting', 'getAt', 'fork', 'restoreTo'] as const;

/** A validated agent-runtime request. */
export type RuntimeApiRequest =
  | { readonly op: 'timers'; readonly agentId: string }
  | { readonly op: 'setTimer'; readonly agentId: string; readonly spec: TimerSpec }
  | { readonly op: 'cancelTimer'; readonly agentId: string; readonly timerId: string }
  | { readonly op: 'resume'; readonly agentId: string; readonly requestId: string; readonly value: unknown }
  | { readonly op: 'waiting'; readonly agentId?: string; readonly limit?: number }
  | { readonly op: 'getAt'; readonly agentId: string; readonly at: string }
  | { readonly op: 'fork'; readonly agentId: string; readonly at: string; readonly to: string }
  | { readonly op: 'restoreTo'; readonly agentId: string; readonly at: string; readonly commandId?: string };

function str(o: Record<string, unknown>, field: string, example: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > 128) throw msError('INVALID_ARGUMENT', `${field} must be a string of 1 to 128 characters: ${example}`, { details: { field } });
  return v;
}

function atOf(o: Record<string, unknown>): string {
  const at = o.at;
  if (typeof at === 'number' && Number.isSafeInteger(at) && at >= 0) return String(at);
  return str(o, 'at', '"at": a revision (stream sequence) or an ISO-8601 time');
}

/**
 * Validates the body of an agent-runtime operation: `timers {agentId}`, `setTimer {agentId, spec}`,
 * `cancelTimer {agentId, timerId}`, `resume {agentId, requestId, value}`, `waiting {agentId?, limit?}`.
 */
export function parseRuntimeRequest(op: string, o: Record<string, unknown>): RuntimeApiRequest {
  switch (op as (typeof RUNTIME_OPERATIONS)[number]) {
    case 'timers':
      return { op: 'timers', agentId: assertAgentId(o.agentId) };
    case 'setTimer': {
      const spec = o.spec;
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw msError('INVALID_ARGUMENT', 'setTimer needs { "agentId", "spec": { "command", "delayMs" | "at" | "everyMs" | "cron", ... } }');
      return { op: 'setTimer', agentId: assertAgentId(o.agentId), spec: spec as TimerSpec };
    }
    case 'cancelTimer':
      return { op: 'cancelTimer', agentId: assertAgentId(o.agentId), timerId: str(o, 'timerId', '{ "agentId", "timerId" }') };
    case 'resume':
      return { op: 'resume', agentId: assertAgentId(o.agentId), requestId: str(o, 'requestId', '{ "agentId", "requestId", "value" }'), value: o.value };
    case 'waiting': {
      const limit = o.limit;
      if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100_000)) throw msError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 100,000', { details: { limit } });
      return { op: 'waiting', ...(o.agentId !== undefined ? { agentId: assertAgentId(o.agentId) } : {}), ...(limit !== undefined ? { limit } : {}) };
    }
    case 'getAt':
      return { op: 'getAt', agentId: assertAgentId(o.agentId), at: atOf(o) };
    case 'fork':
      return { op: 'fork', agentId: assertAgentId(o.agentId), at: atOf(o), to: assertAgentId(o.to) };
    case 'restoreTo':
      return { op: 'restoreTo', agentId: assertAgentId(o.agentId), at: atOf(o), ...(o.commandId !== undefined ? { commandId: str(o, 'commandId', '"commandId": a string') } : {}) };
    default:
      throw msError('INVALID_ARGUMENT', `unknown operation ${JSON.stringify(op)}`, { details: { op } });
  }
}
