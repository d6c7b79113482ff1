import { parseRequest } from '@mister-smith/actors';
import { assertAgentId, assertStateKey, LIFECYCLE_STATES, msError, type LifecycleState, type StreamPosition } from '@mister-smith/core';
import { parseRuntimeRequest, RUNTIME_OPERATIONS, type RuntimeApiRequest } from './parseRuntimeRequest.js';

/** The operations of the supervisor's request/reply API. */
export const API_OPERATIONS = ['spawn', 'command', 'set', 'get', 'stop', 'list', ...RUNTIME_OPERATIONS] as const;

/** One operation name. */
export type ApiOperation = (typeof API_OPERATIONS)[number];

/** A validated API request. */
export type ApiRequest =
  | { readonly op: 'spawn'; readonly agentType: string; readonly agentId?: string; readonly metadata?: Record<string, unknown> }
  | { readonly op: 'command'; readonly agentId: string; readonly command: string; readonly payload: unknown; readonly commandId?: string; readonly base?: StreamPosition }
  | { readonly op: 'set'; readonly agentId: string; readonly key: string; readonly value: unknown; readonly commandId?: string }
  | { readonly op: 'get'; readonly agentId: string; readonly key?: string }
  | { readonly op: 'stop'; readonly agentId: string }
  | { readonly op: 'list'; readonly state?: LifecycleState; readonly limit?: number }
  | RuntimeApiRequest;

const OPS: ReadonlySet<string> = new Set(API_OPERATIONS);
const STATES: ReadonlySet<string> = new Set(LIFECYCLE_STATES);

function bad(message: string, details: Record<string, unknown> = {}): never {
  throw msError('INVALID_ARGUMENT', message, { details });
}

function optionalString(o: Record<string, unknown>, field: string, max = 256): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) bad(`${field} must be a string of 1 to ${max} characters`, { field });
  return v;
}

/**
 * Validates the JSON body of `<ns.>mister-smith.supervisor.<op>`. Typed errors: INVALID_ARGUMENT
 * (malformed JSON, unknown operation, missing or ill-typed fields), INVALID_ID (agent id).
 * `spawn` takes `{ type, id? }` (also spelled `{ agentType, agentId? }`).
 */
export function parseApiRequest(op: string, data: Uint8Array): ApiRequest {
  if (!OPS.has(op)) bad(`unknown operation ${JSON.stringify(op)}: use one of ${API_OPERATIONS.join(', ')}`, { op, known: [...API_OPERATIONS] });
  const o = parseRequest(data);
  switch (op as ApiOperation) {
    case 'spawn': {
      const agentType = optionalString(o, 'type', 64) ?? optionalString(o, 'agentType', 64);
      if (agentType === undefined) bad('spawn needs the agent type: { "type": "counter", "id"?: "c1" }');
      const id = o.id ?? o.agentId;
      const metadata = o.metadata;
      if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) bad('metadata must be a JSON object');
      return { op: 'spawn', agentType, ...(id !== undefined && id !== null ? { agentId: assertAgentId(id) } : {}), ...(metadata ? { metadata: metadata as Record<string, unknown> } : {}) };
    }
    case 'command': {
      const agentId = assertAgentId(o.agentId);
      const command = optionalString(o, 'command', 128);
      if (command === undefined) bad('command needs { "agentId", "command", "payload"? }');
      const commandId = optionalString(o, 'commandId', 128);
      const base = o.base as Partial<StreamPosition> | undefined;
      if (base !== undefined && (typeof base !== 'object' || base === null || !Number.isInteger(base.epoch) || !Number.isInteger(base.seq))) bad('base must be { "epoch": integer, "seq": integer }');
      return { op: 'command', agentId, command, payload: o.payload, ...(commandId !== undefined ? { commandId } : {}), ...(base ? { base: { epoch: base.epoch!, seq: base.seq! } } : {}) };
    }
    case 'set': {
      const agentId = assertAgentId(o.agentId);
      const key = assertStateKey(o.key);
      if (o.value === undefined) bad('set needs { "agentId", "key", "value" }');
      const commandId = optionalString(o, 'commandId', 128);
      return { op: 'set', agentId, key, value: o.value, ...(commandId !== undefined ? { commandId } : {}) };
    }
    case 'get': {
      const key = optionalString(o, 'key', 200);
      return { op: 'get', agentId: assertAgentId(o.agentId), ...(key !== undefined ? { key } : {}) };
    }
    case 'stop':
      return { op: 'stop', agentId: assertAgentId(o.agentId) };
    case 'list': {
      const state = o.state;
      if (state !== undefined && (typeof state !== 'string' || !STATES.has(state))) bad(`state must be one of ${LIFECYCLE_STATES.join(', ')}`, { state });
      const limit = o.limit;
      if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100_000)) bad('limit must be an integer from 1 to 100,000', { limit });
      return { op: 'list', ...(state !== undefined ? { state: state as LifecycleState } : {}), ...(limit !== undefined ? { limit } : {}) };
    }
    default:
      return parseRuntimeRequest(op, o);
  }
}
