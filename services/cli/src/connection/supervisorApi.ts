import * as supervisorService from '@mister-smith/supervisor';
import { notAvailable } from '../cli/CliError.js';
import type { Clients } from './openClients.js';
import { requestService } from './requestService.js';

/**
 * Whether this build's `@mister-smith/supervisor` serves the request/reply API
 * (`<ns.>mister-smith.supervisor.<op>`). Checked by name so the CLI builds before the service does.
 */
export function supervisorApiBuilt(): boolean {
  const mod = supervisorService as Record<string, unknown>;
  return typeof mod.createSupervisorService === 'function' || typeof mod.runSupervisorService === 'function';
}

/**
 * Calls one operation of the supervisor's request/reply API. NOT_AVAILABLE while the service is
 * not built; NOT_RUNNING (with a hint to start one) when no supervisor answers.
 */
export async function callSupervisor<T>(c: Clients, op: string, body: Record<string, unknown>, timeoutMs?: number): Promise<T> {
  if (!supervisorApiBuilt()) throw notAvailable(`the supervisor request/reply API (mister-smith.supervisor.${op}): services/supervisor does not export createSupervisorService yet`);
  return requestService<T>(c.nats, c.topology.namespace, 'supervisor', op, body, timeoutMs);
}
