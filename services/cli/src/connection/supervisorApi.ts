import type { NatsHandle, Topology } from '@mister-smith/core';
import { requestService } from './requestService.js';

/**
 * Calls one operation of the supervisor's request/reply API (`<ns.>mister-smith.supervisor.<op>`:
 * `spawn {type, id?}`, `command`, `get`, `stop {agentId}`, `list {state?, limit?}`), answered by any
 * supervisor of the namespace (queue group), which routes to the agent's owner. NOT_RUNNING (with a
 * hint to start one) when no supervisor answers.
 */
export function callSupervisor<T>(c: { readonly nats: NatsHandle; readonly topology: Topology }, op: string, body: Record<string, unknown>, timeoutMs?: number): Promise<T> {
  return requestService<T>(c.nats, c.topology.namespace, 'supervisor', op, body, timeoutMs);
}
