import type { TimerInfo } from '@mister-smith/actors';
import { assertAgentId } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { formatTable } from '../cli/formatTable.js';
import { openClients } from '../connection/openClients.js';
import { callSupervisor } from '../connection/supervisorApi.js';

/** Options of `mister-smith agents timers`. */
export interface AgentsTimersOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith agents timers ID`: the agent's durable timers, earliest first (id, command,
 * schedule, next due time, missed-fire policy, fires so far), without activating it.
 *
 * @example
 * const timers = await agentsTimers('a1');
 */
export async function agentsTimers(agentId: string, options: AgentsTimersOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<TimerInfo[]> {
  assertAgentId(agentId);
  await using c = await openClients(options.env ? { env: options.env } : {});
  const timers = await callSupervisor<TimerInfo[]>(c, 'timers', { agentId });
  output.result(timers, () => (timers.length === 0
    ? `${agentId} has no timers`
    : formatTable(['TIMER', 'COMMAND', 'SCHEDULE', 'DUE', 'MISSED', 'FIRED'], timers.map((t) => [t.timerId, t.command, t.schedule, t.dueAt, t.missed, String(t.fired)]))));
  return timers;
}

/**
 * `mister-smith agents timers cancel ID TIMER_ID`: cancels a timer through the agent's owner.
 *
 * @example
 * await agentsTimersCancel('a1', 'tick');
 */
export async function agentsTimersCancel(agentId: string, timerId: string, options: AgentsTimersOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<{ timerId: string; cancelled: boolean }> {
  assertAgentId(agentId);
  await using c = await openClients(options.env ? { env: options.env } : {});
  const r = await callSupervisor<{ timerId: string; cancelled: boolean }>(c, 'cancelTimer', { agentId, timerId });
  output.result(r, () => (r.cancelled ? `cancelled timer ${timerId} of ${agentId}` : `${agentId} had no timer ${timerId}`));
  return r;
}
