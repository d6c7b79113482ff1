import type { CommandReply, WaitInfo } from '@mister-smith/actors';
import { assertAgentId } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { formatTable } from '../cli/formatTable.js';
import { openClients } from '../connection/openClients.js';
import { callSupervisor } from '../connection/supervisorApi.js';

/** Options of `mister-smith agents resume` and `agents list --waiting`. */
export interface AgentsResumeOptions {
  readonly json?: boolean;
  readonly limit?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith agents resume ID REQUEST_ID JSON`: answers the agent's pending request with a value
 * (command id `resume:<requestId>`, so running it twice answers once); activates a COLD agent.
 * NOT_FOUND when the request is not pending.
 *
 * @example
 * await agentsResume('a1', 'approve-7', { approved: true });
 */
export async function agentsResume(agentId: string, requestId: string, value: unknown, options: AgentsResumeOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<CommandReply> {
  assertAgentId(agentId);
  await using c = await openClients(options.env ? { env: options.env } : {});
  const r = await callSupervisor<CommandReply>(c, 'resume', { agentId, requestId, value });
  output.result(r, () => `resumed ${requestId} of ${agentId}${r.duplicate ? ' (already answered: the first reply)' : ''}: ${JSON.stringify(r.result ?? null)}`);
  return r;
}

/**
 * `mister-smith agents list --waiting`: pending human-in-the-loop requests across the fleet, oldest first.
 *
 * @example
 * const pending = await agentsWaiting();
 */
export async function agentsWaiting(options: AgentsResumeOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<WaitInfo[]> {
  await using c = await openClients(options.env ? { env: options.env } : {});
  const waits = await callSupervisor<WaitInfo[]>(c, 'waiting', options.limit ? { limit: options.limit } : {});
  output.result(waits, () => (waits.length === 0
    ? 'no pending requests'
    : formatTable(['AGENT', 'TYPE', 'REQUEST', 'SINCE', 'DEADLINE', 'PAYLOAD'], waits.map((w) => [w.agentId, w.agentType ?? '-', w.requestId, w.createdAt, w.deadline ?? '-', JSON.stringify(w.payload ?? null)]))));
  return waits;
}
