import { RUNTIME_KEY, runtimeOf, userStateOf, type AgentView } from '@mister-smith/actors';
import { assertAgentId, assertStateKey, msError, type StateEntry } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';
import { openStateStore } from '../connection/openStateStore.js';
import { callSupervisor } from '../connection/supervisorApi.js';

/** Options of `mister-smith agents get`. */
export interface AgentsGetOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** An agent's whole state, as `agents get ID` returns it. */
export interface AgentStateView {
  readonly agentId: string;
  /** From `agents.registry` (null for an agent with state but no registry row). */
  readonly agentType: string | null;
  readonly status: string | null;
  readonly state: Readonly<Record<string, unknown>>;
  /** Armed timers (see `agents timers`). */
  readonly timers: number;
  /** Ids of pending human-in-the-loop requests (see `agents list --waiting`). */
  readonly waits: readonly string[];
  /** Commands queued behind the running one at its owner (absent when no supervisor answers). */
  readonly queueDepth?: number;
}

/**
 * `mister-smith agents get ID [KEY]`: reads committed state through the state plane (KV, else
 * PostgreSQL), without activating the agent. With KEY: the key's value, version and strategy
 * (NOT_FOUND when the key has no value); without: every live key (UNKNOWN_AGENT when the agent has
 * neither state nor a registry row).
 *
 * @example
 * const entry = await agentsGet('c1', 'count');
 */
export async function agentsGet(agentId: string, key: string | undefined, options: AgentsGetOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<StateEntry | AgentStateView> {
  assertAgentId(agentId);
  if (key !== undefined) assertStateKey(key);
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const store = await openStateStore(c);
  try {
    if (key !== undefined) {
      const entry = await store.readEntry(agentId, key);
      if (!entry) throw msError('NOT_FOUND', `agent ${agentId} has no value for ${key}`, { details: { agentId, key } });
      output.result(entry, () => JSON.stringify(entry.value));
      return entry;
    }
    const all = await store.readAll(agentId);
    const state = userStateOf(all);
    const rt = runtimeOf({ [RUNTIME_KEY]: all[RUNTIME_KEY] });
    // Queue depth lives at the owner: asked when a supervisor answers, left out otherwise.
    const queueDepth = await callSupervisor<AgentView>(c, 'get', { agentId }, 2_000).then((v) => v.queueDepth, () => undefined);
    const row = await c.requirePg().db.selectFrom('agents.registry').select(['agent_type', 'status']).where('agent_id', '=', agentId).executeTakeFirst();
    if (!row && Object.keys(state).length === 0) throw msError('UNKNOWN_AGENT', `agent ${agentId} has no state and is not registered`, { details: { agentId } });
    const timers = Object.keys(rt.timers).filter((id) => !id.startsWith('_')).length;
    const waits = Object.keys(rt.waits);
    const view: AgentStateView = { agentId, agentType: row?.agent_type ?? null, status: row?.status ?? null, state, timers, waits, ...(queueDepth !== undefined ? { queueDepth } : {}) };
    output.result(view, () => [
      `${agentId}${row ? ` (${row.agent_type}, ${row.status})` : ''}`,
      ...(timers > 0 || waits.length > 0 || (queueDepth ?? 0) > 0 ? [`  [${timers} timer(s); ${waits.length === 0 ? 'no pending requests' : `waiting for ${waits.join(', ')}`}${queueDepth !== undefined ? `; ${queueDepth} queued` : ''}]`] : []),
      ...(Object.keys(state).length === 0 ? ['  (no state yet)'] : Object.entries(state).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`)),
    ]);
    return view;
  } finally {
    await store.close();
  }
}
