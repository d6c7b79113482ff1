import { assertAgentId, type LifecycleState } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';
import { callSupervisor } from '../connection/supervisorApi.js';

/** Options of `mister-smith agents stop`. */
export interface AgentsStopOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith agents stop ID`: flushes and expires the agent wherever it is ACTIVE.
 *
 * @example
 * await agentsStop('c1');
 */
export async function agentsStop(agentId: string, options: AgentsStopOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<{ agentId: string; lifecycle: LifecycleState }> {
  assertAgentId(agentId);
  await using c = await openClients(options.env ? { env: options.env } : {});
  const r = await callSupervisor<{ agentId: string; lifecycle: LifecycleState }>(c, 'stop', { agentId });
  output.result(r, () => `stopped ${r.agentId}: ${r.lifecycle}`);
  return r;
}
