import { readAgentAt, type AgentStateAt, type ForkResult } from '@mister-smith/actors';
import { assertAgentId, JetStreamEventLog, msError } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';
import { callSupervisor } from '../connection/supervisorApi.js';

/** Options of `agents get --at` and `agents fork`. */
export interface AgentsAtOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith agents get ID [KEY] --at <revision|ISO time>`: the agent's state as of a revision
 * (stream sequence) or a time, folded from the PostgreSQL archive (events the stream evicted) and
 * the stream. Says when part of the history is in neither.
 *
 * @example
 * const past = await agentsGetAt('c1', undefined, '2026-05-01T12:00:00Z');
 */
export async function agentsGetAt(agentId: string, key: string | undefined, at: string, options: AgentsAtOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<AgentStateAt> {
  assertAgentId(agentId);
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const log = new JetStreamEventLog(c.nats, c.topology.streams.agentState, { namespace: c.topology.namespace });
  const past = await readAgentAt({ log, ...(c.pg ? { pg: c.pg } : {}) }, agentId, at);
  if (past.revision === 0 && past.complete) throw msError('NOT_FOUND', `agent ${agentId} has no state at or before ${past.at}`, { details: { agentId, at: past.at } });
  const note = past.complete ? '' : ' (incomplete: part of the history is neither in the stream nor in the archive)';
  if (key !== undefined) {
    const view = { ...past, key, value: past.state[key] };
    output.result(view, () => `${JSON.stringify(past.state[key] ?? null)}${note}`);
    return past;
  }
  output.result(past, () => [
    `${agentId} at revision ${past.revision}${past.time ? ` (${past.time})` : ''}${note}`,
    ...Object.entries(past.state).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`),
  ]);
  return past;
}

/**
 * `mister-smith agents fork ID --at <revision|ISO> --to NEW_ID`: a new agent of the same type whose
 * state starts from the source's at that point (timers and pending requests are not copied),
 * linked to it in its registry metadata (`forkedFrom`).
 *
 * @example
 * await agentsFork('c1', '12', 'c1-what-if');
 */
export async function agentsFork(agentId: string, at: string, to: string, options: AgentsAtOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<ForkResult> {
  assertAgentId(agentId);
  assertAgentId(to);
  await using c = await openClients(options.env ? { env: options.env } : {});
  const r = await callSupervisor<ForkResult>(c, 'fork', { agentId, at, to }, 30_000);
  output.result(r, () => `forked ${agentId} at revision ${r.forkedFrom.revision} into ${r.agentId} (${r.agentType}): ${JSON.stringify(r.state)}`);
  return r;
}
