import { assertStateKey, msError } from '@mister-smith/core';
import type { AgentState } from '../agentTypes/AgentType.js';
import type { CommandOutcome } from '../agentTypes/runCommand.js';

/**
 * The runtime's `$set` command (`Supervisor.setKey`, `mister-smith agents set`): one state key takes
 * the value, written by the agent's owner like any command's write (queued behind its running
 * command, fenced, merged by the key's strategy), so an operator's write never races the owner's.
 * Payload `{ key, value }`; reserved (`_`) keys are refused.
 */
export function setKeyOutcome(state: AgentState, payload: unknown): CommandOutcome {
  const p = payload as { key?: unknown; value?: unknown } | null | undefined;
  const key = assertStateKey(p?.key);
  if (p === null || p === undefined || p.value === undefined) throw msError('INVALID_ARGUMENT', `set of ${key} needs a value`, { details: { key } });
  const value = p.value;
  return { next: Object.freeze({ ...state, [key]: value }), result: value, changes: [{ key, op: 'put', input: value }] };
}
