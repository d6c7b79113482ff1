import type { AgentListing } from '@mister-smith/actors';
import type { LifecycleState } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { formatTable } from '../cli/formatTable.js';
import { openClients } from '../connection/openClients.js';
import { callSupervisor } from '../connection/supervisorApi.js';

/** Options of `mister-smith agents list`. */
export interface AgentsListOptions {
  readonly state?: LifecycleState;
  readonly limit?: number;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith agents list [--state S]`: agents by lifecycle state, COLD ones known to
 * PostgreSQL included, as a running supervisor sees them.
 *
 * @example
 * const active = await agentsList({ state: 'ACTIVE' });
 */
export async function agentsList(options: AgentsListOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<AgentListing[]> {
  await using c = await openClients(options.env ? { env: options.env } : {});
  const agents = await callSupervisor<AgentListing[]>(c, 'list', { ...(options.state ? { state: options.state } : {}), ...(options.limit ? { limit: options.limit } : {}) });
  output.result(agents, () => (agents.length === 0
    ? `no agents${options.state ? ` in state ${options.state}` : ''}`
    : formatTable(['AGENT', 'TYPE', 'STATE', 'SUPERVISOR'], agents.map((a) => [a.agentId, a.agentType, a.lifecycle, a.supervisorId ?? '-']))));
  return agents;
}
