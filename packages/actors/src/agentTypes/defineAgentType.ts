import { assertStateKey, msError } from '@mister-smith/core';
import { resolveStrategy, validateStrategySpec, type ConflictStrategy } from '@mister-smith/crdt';
import type { AgentState, AgentType, AgentTypeDefinition, CommandHandler } from './AgentType.js';

const TYPE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Validates an agent type and fills in its defaults.
 *
 * @example
 * const todo = defineAgentType({
 *   name: 'todo',
 *   initialState: { items: [] as string[] },
 *   commands: { add: (d, p) => { d.items.push(String((p as { text: string }).text)); return d.items.length; } },
 * });
 */
export function defineAgentType<S extends AgentState>(def: AgentTypeDefinition<S>): AgentType<S> {
  const bad = (why: string) => msError('INVALID_ARGUMENT', `agent type ${JSON.stringify(def?.name)}: ${why}`, { details: { agentType: def?.name } });
  if (typeof def !== 'object' || def === null) throw msError('INVALID_ARGUMENT', 'an agent type definition is an object');
  if (typeof def.name !== 'string' || !TYPE_NAME.test(def.name)) throw bad('name must be 1-64 characters of [A-Za-z0-9_-]');
  if (typeof def.initialState !== 'object' || def.initialState === null || Array.isArray(def.initialState)) throw bad('initialState must be a plain object');
  for (const key of Object.keys(def.initialState)) assertStateKey(key);
  const names = Object.keys(def.commands ?? {});
  if (names.length === 0) throw bad('it needs at least one command');
  for (const n of names) {
    if (typeof def.commands[n] !== 'function') throw bad(`command ${n} is not a function`);
  }
  const strategies = def.strategies ?? {};
  try {
    validateStrategySpec(strategies);
  } catch (e) {
    throw msError('INVALID_ARGUMENT', `agent type ${def.name}: invalid strategies`, { cause: e });
  }
  const positive = (v: number | undefined, what: string, fallback: number | undefined) => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(`${what} must be a positive number`);
    return v;
  };
  const durability = def.durability ?? 'jetstream';
  if (durability !== 'jetstream' && durability !== 'postgres') throw bad('durability must be "jetstream" or "postgres"');
  const mailbox = def.mailbox ?? { policy: 'enqueue' };
  if (!['enqueue', 'reject', 'interrupt'].includes(mailbox.policy)) throw bad('mailbox.policy must be "enqueue", "reject" or "interrupt"');
  const maxQueue = positive(mailbox.maxQueue, 'mailbox.maxQueue', 1000) as number;
  for (const n of names) if (n.startsWith('$')) throw bad(`command names starting with "$" belong to the runtime: ${n}`);
  const commandNames = new Set(names);
  const snapshotEvery = def.snapshotEvery;
  if (snapshotEvery !== undefined && (!Number.isSafeInteger(snapshotEvery) || snapshotEvery < 0)) throw bad('snapshotEvery must be a non-negative integer (0: no snapshots)');
  const cache = new Map<string, ConflictStrategy>();
  return Object.freeze({
    name: def.name,
    initialState: Object.freeze({ ...def.initialState }),
    commands: Object.freeze({ ...def.commands }) as Readonly<Record<string, CommandHandler>>,
    strategies,
    idleTtlMs: positive(def.idleTtlMs, 'idleTtlMs', undefined),
    flushThreshold: positive(def.flushThreshold, 'flushThreshold', 50) as number,
    flushIntervalMs: positive(def.flushIntervalMs, 'flushIntervalMs', 10_000) as number,
    durability,
    mailbox: Object.freeze({ policy: mailbox.policy, maxQueue }),
    ...(snapshotEvery !== undefined ? { snapshotEvery } : {}),
    hasCommand: (name: string) => commandNames.has(name),
    strategyOf(key: string): ConflictStrategy {
      let s = cache.get(key);
      if (!s) {
        s = resolveStrategy(strategies, key);
        if (cache.size < 1024) cache.set(key, s);
      }
      return s;
    },
  });
}
