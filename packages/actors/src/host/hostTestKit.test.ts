import type { AgentType } from '../agentTypes/AgentType.js';
import { runCommand } from '../agentTypes/runCommand.js';
import type { LifecycleConfig } from '../lifecycle/lifecycleTypes.js';
import type { AgentEffects, LifecycleTransition } from './AgentHost.js';

/** Lifecycle settings for host tests. */
export const testConfig: LifecycleConfig = {
  idleTtlMs: 10_000, hydrateRetries: 1, flushRetries: 1, backoffBaseMs: 10, backoffMaxMs: 100,
};

/**
 * In-memory effects for host tests: "persisted" state per agent in a map, a sequence per agent as
 * fencing token, and a log of transitions and flushes. No I/O.
 */
export function memoryEffects(types: readonly AgentType[]) {
  const byName = new Map(types.map((t) => [t.name, t]));
  const stored = new Map<string, Record<string, unknown>>();
  const transitions: LifecycleTransition[] = [];
  const flushes: string[] = [];
  let seq = 0;
  const hooks: { onTransition?: (t: LifecycleTransition) => void; failHydrate?: (agentId: string) => unknown } = {};
  const effects: AgentEffects = {
    async hydrate({ agentId, agentType }) {
      const fail = hooks.failHydrate?.(agentId);
      if (fail) throw fail;
      const type = byName.get(agentType)!;
      return { state: { ...type.initialState, ...(stored.get(agentId) ?? {}) }, fenceSeq: ++seq };
    },
    async execute({ agentId, agentType, state, command }) {
      const type = byName.get(agentType)!;
      const out = runCommand(type, state, command.name, command.payload, { agentId, commandId: command.commandId, writer: 'test' });
      const row = { ...(stored.get(agentId) ?? {}) };
      for (const c of out.changes) {
        if (c.op === 'put') row[c.key] = c.input; else delete row[c.key];
      }
      stored.set(agentId, row);
      return { state: out.next, fenceSeq: ++seq, result: out.result, changedKeys: out.changes.map((c) => c.key), version: { epoch: 1, seq } };
    },
    async flush({ agentId }) { flushes.push(agentId); return {}; },
    transition(t) {
      transitions.push(t);
      hooks.onTransition?.(t);
    },
  };
  return { effects, stored, transitions, flushes, hooks };
}
