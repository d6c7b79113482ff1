import { assertAgentId, msError, type StreamPosition } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';
import { callSupervisor } from '../connection/supervisorApi.js';

/** Options of `mister-smith agents command`. */
export interface AgentsCommandOptions {
  /** The command's id: a retry with the same id gets the first reply and changes nothing. Default: generated (printed). */
  readonly commandId?: string;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How long to wait for the reply (default 30 s; a COLD agent is activated first). */
  readonly timeoutMs?: number;
}

/** The reply of a command, as the owner sent it. */
export interface AgentsCommandResult {
  readonly agentId: string;
  readonly commandId: string;
  /** What the agent's handler returned. */
  readonly result: unknown;
  /** Version of the command's last state event (absent when it changed nothing). */
  readonly version?: StreamPosition;
  readonly changedKeys: readonly string[];
  /** True when the command id had run already: this is its recorded reply, nothing ran again. */
  readonly duplicate?: boolean;
}

/**
 * `mister-smith agents command ID NAME [JSON] [--command-id ID]`: sends a command to the agent's
 * handler through a running supervisor, which routes it to the agent's owner (activating a COLD
 * agent first), and prints the reply. The command id (given, or generated and printed) makes a
 * retry safe: the owner answers a known id with its recorded reply, across restarts and takeovers
 * (IDEMPOTENCY_CONFLICT when the id was used with another command or payload).
 *
 * @example
 * await agentsCommand('c1', 'increment', { by: 2 }, { commandId: 'order-42' });
 */
export async function agentsCommand(agentId: string, name: string, payload: unknown, options: AgentsCommandOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<AgentsCommandResult> {
  assertAgentId(agentId);
  if (name.length === 0) throw msError('INVALID_ARGUMENT', 'the command name must not be empty');
  if (options.commandId !== undefined && (options.commandId.length === 0 || options.commandId.length > 128)) {
    throw msError('INVALID_ARGUMENT', 'a command id must have 1 to 128 characters', { details: { commandId: options.commandId } });
  }
  await using c = await openClients(options.env ? { env: options.env } : {});
  const r = await callSupervisor<AgentsCommandResult>(c, 'command', {
    agentId, command: name, ...(payload !== undefined ? { payload } : {}), ...(options.commandId !== undefined ? { commandId: options.commandId } : {}),
  }, options.timeoutMs);
  output.result(r, () => {
    const where = r.version ? `seq ${r.version.seq}` : 'no state change';
    return `${JSON.stringify(r.result ?? null)} (command ${r.commandId}, ${where}${r.duplicate ? ', already applied: recorded reply' : ''})`;
  });
  return r;
}
