import { assertStateKey, MisterSmithError, msError } from '@mister-smith/core';
import { createDraft, finishDraft, produce, type Draft } from 'immer';
import type { AgentState, AgentType, CommandContext, CommandHandler, RuntimeContext } from './AgentType.js';

/** One state key a command changed, and what to hand to the state store. */
export type StateChange =
  | { readonly key: string; readonly op: 'put'; readonly input: unknown }
  | { readonly key: string; readonly op: 'delete' };

/** What running a handler produced, before anything is persisted. */
export interface CommandOutcome {
  /** The new state object (structurally shared with the old one, frozen by immer). */
  readonly next: AgentState;
  readonly result: unknown;
  readonly changes: readonly StateChange[];
}

type DocRecipe = (doc: Record<string, unknown>) => void;

/**
 * Runs command `name` of `type` against `state` as an immer recipe and lists the changed
 * top-level keys. Pure: nothing is written. A `crdt` key edited through `ctx.edit` is
 * written as its recipe (merged by the store against the current document).
 *
 * @throws UNKNOWN_COMMAND, INVALID_KEY for a changed key that is not a valid state key,
 * the handler's own MisterSmithError (e.g. INVALID_ARGUMENT), or HANDLER_FAILED with the cause.
 */
/** What a caller of `runCommand` supplies: the base context, and optionally the runtime's (timers, waits, steps). */
export type RunContext = Omit<CommandContext, 'edit' | keyof RuntimeContext> & Partial<RuntimeContext>;

function unavailable(what: string): never {
  throw msError('INVALID_ARGUMENT', `${what} is available only to commands run by an agent's owner`);
}

function prepare(type: AgentType, name: string, ctx: RunContext): { handler: CommandHandler; context: CommandContext; edits: () => Map<string, DocRecipe[]> | undefined } {
  if (!type.hasCommand(name)) {
    throw msError('UNKNOWN_COMMAND', `agent type ${type.name} has no command ${JSON.stringify(name)}`, { details: { agentType: type.name, command: name } });
  }
  let edits: Map<string, DocRecipe[]> | undefined;
  const context: CommandContext = {
    trigger: { kind: 'client' },
    signal: new AbortController().signal,
    timers: { set: () => unavailable('ctx.timers'), cancel: () => unavailable('ctx.timers'), list: () => [] },
    wait: () => unavailable('ctx.wait'),
    waits: () => [],
    step: () => unavailable('ctx.step'),
    ...ctx,
    edit(key, recipe) {
      assertStateKey(key);
      if (typeof recipe !== 'function') throw msError('INVALID_ARGUMENT', `edit of ${key} needs a recipe function`);
      edits ??= new Map();
      const list = edits.get(key) ?? [];
      list.push(recipe as DocRecipe);
      edits.set(key, list);
    },
  };
  return { handler: type.commands[name]!, context, edits: () => edits };
}

function failed(type: AgentType, name: string, e: unknown): unknown {
  if (MisterSmithError.is(e)) return e;
  return msError('HANDLER_FAILED', `command ${name} of ${type.name} threw: ${(e as Error)?.message ?? String(e)}`, { cause: e, details: { agentType: type.name, command: name } });
}

/**
 * Runs command `name` of `type` against `state` as an immer recipe and lists the changed
 * top-level keys. Pure: nothing is written. A `crdt` key edited through `ctx.edit` is
 * written as its recipe (merged by the store against the current document). Handlers must be
 * synchronous here; {@link runCommandAsync} also awaits async ones.
 *
 * @throws UNKNOWN_COMMAND, INVALID_KEY for a changed key that is not a valid state key,
 * the handler's own MisterSmithError (e.g. INVALID_ARGUMENT), or HANDLER_FAILED with the cause.
 */
export function runCommand(type: AgentType, state: AgentState, name: string, payload: unknown, ctx: RunContext): CommandOutcome {
  const { handler, context, edits } = prepare(type, name, ctx);
  let result: unknown;
  let next: AgentState;
  try {
    // The handler's return value is the command's result, never a replacement state.
    next = produce(state, (draft) => { result = handler(draft, payload, context); }) as AgentState;
  } catch (e) {
    throw failed(type, name, e);
  }
  return { next, result, changes: changesOf(name, state, next, edits()) };
}

/**
 * {@link runCommand} for handlers that may be async (e.g. awaiting `ctx.step`): the draft stays
 * open until the handler's promise settles.
 */
export async function runCommandAsync(type: AgentType, state: AgentState, name: string, payload: unknown, ctx: RunContext): Promise<CommandOutcome> {
  const { handler, context, edits } = prepare(type, name, ctx);
  const draft = createDraft(state as Record<string, unknown>) as Draft<AgentState>;
  let result: unknown;
  try {
    result = await handler(draft, payload, context);
  } catch (e) {
    throw failed(type, name, e);
  }
  const next = Object.freeze(finishDraft(draft)) as AgentState;
  return { next, result, changes: changesOf(name, state, next, edits()) };
}

function changesOf(name: string, state: AgentState, next: AgentState, edits: Map<string, DocRecipe[]> | undefined): StateChange[] {
  const changes: StateChange[] = [];
  for (const key of Object.keys(next)) {
    const recipes = edits?.get(key);
    if (recipes) {
      if (next[key] !== state[key]) {
        throw msError('HANDLER_FAILED', `command ${name} both assigned and edited crdt key ${key}: use one of the two`, { details: { key, command: name } });
      }
      continue;
    }
    if (!Object.hasOwn(state, key) || next[key] !== state[key]) {
      assertStateKey(key);
      if (next[key] === undefined) changes.push({ key, op: 'delete' });
      else changes.push({ key, op: 'put', input: next[key] });
    }
  }
  for (const key of Object.keys(state)) {
    if (!Object.hasOwn(next, key)) changes.push({ key, op: 'delete' });
  }
  if (edits) {
    for (const [key, recipes] of edits) {
      const recipe: DocRecipe = recipes.length === 1 ? recipes[0]! : (doc) => { for (const r of recipes) r(doc); };
      changes.push({ key, op: 'put', input: recipe });
    }
  }
  return changes;
}
