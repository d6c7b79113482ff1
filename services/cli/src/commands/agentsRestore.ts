import type { RestoreResult } from '@mister-smith/actors';
import { assertAgentId } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';
import { callSupervisor } from '../connection/supervisorApi.js';

/** Options of `mister-smith agents restore`. */
export interface AgentsRestoreOptions {
  readonly commandId?: string;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith agents restore ID --to <revision|ISO time>`: returns one agent's state to what it
 * was at that point (undo a bad turn), through its owner, recorded as state events: history stays
 * whole, `agents history` shows the restore, and replays reproduce it.
 *
 * @example
 * await agentsRestore('c1', '42');
 */
export async function agentsRestore(agentId: string, to: string, options: AgentsRestoreOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<RestoreResult> {
  assertAgentId(agentId);
  await using c = await openClients(options.env ? { env: options.env } : {});
  const r = await callSupervisor<RestoreResult>(c, 'restoreTo', { agentId, at: to, ...(options.commandId !== undefined ? { commandId: options.commandId } : {}) }, 30_000);
  output.result(r, () => [
    `restored ${agentId} to revision ${r.restoredTo.revision}${r.complete ? '' : ' (incomplete: part of the history is neither in the stream nor in the archive)'}`,
    ...Object.entries(r.state).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`),
  ]);
  return r;
}
