import { counterAgent, notesAgent, assistantAgent, type AgentType } from '@mister-smith/actors';
import { msError } from '@mister-smith/core';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError } from './CliError.js';

/** What `--load` modules brought: agent types to run besides the built-in ones. */
export interface LoadedModules {
  /** The modules, resolved, in load order. */
  readonly modules: readonly string[];
  /** The `agentTypes` the modules export, in order. */
  readonly agentTypes: readonly AgentType[];
}

/** The agent types the CLI's supervisor runs without `--load`. */
export const BUILTIN_AGENT_TYPES: readonly AgentType[] = [counterAgent, notesAgent, assistantAgent];

const isAgentType = (t: unknown): t is AgentType =>
  typeof t === 'object' && t !== null && typeof (t as AgentType).name === 'string' && typeof (t as AgentType).hasCommand === 'function';

/**
 * Imports the user's modules named by `--load` / `MISTER_SMITH_LOAD` before a command runs: a module
 * may register upcasters (`registerUpcaster`, process-wide, so every read path of the command sees
 * them) and may export `agentTypes`, an array of `defineAgentType` results the supervisor runs beside
 * the built-in ones. A path (`./x.mjs`, `/abs/x.js`) is taken from `cwd`, any other name is a package
 * resolved from `cwd`. A module that cannot be found or throws while loading is LOAD_FAILED; an
 * `agentTypes` export that is not a list of agent types, or a type name given twice, is INVALID_ARGUMENT.
 *
 * @example
 * const { agentTypes } = await loadModules(['./agents.mjs']);
 */
export async function loadModules(specs: readonly string[], cwd: string = process.cwd()): Promise<LoadedModules> {
  const modules: string[] = [];
  const agentTypes: AgentType[] = [];
  const names = new Set(BUILTIN_AGENT_TYPES.map((t) => t.name));
  for (const spec of specs) {
    let file: string;
    try {
      file = spec.startsWith('.') || isAbsolute(spec) ? resolve(cwd, spec) : createRequire(join(cwd, 'package.json')).resolve(spec);
    } catch (e) {
      throw new CliError('LOAD_FAILED', `--load ${spec}: not found from ${cwd} (${(e as Error).message.split('\n')[0]})`, { cause: e });
    }
    let mod: Record<string, unknown>;
    try {
      mod = await import(pathToFileURL(file).href) as Record<string, unknown>;
    } catch (e) {
      throw new CliError('LOAD_FAILED', `--load ${spec}: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`, { cause: e });
    }
    modules.push(file);
    const exported = mod.agentTypes;
    if (exported === undefined) continue;
    if (!Array.isArray(exported) || !exported.every(isAgentType)) {
      throw msError('INVALID_ARGUMENT', `--load ${spec}: "agentTypes" must be an array of agent types (defineAgentType results)`);
    }
    for (const t of exported) {
      if (names.has(t.name)) throw msError('INVALID_ARGUMENT', `--load ${spec}: agent type "${t.name}" is defined already (built-in or by an earlier module)`);
      names.add(t.name);
      agentTypes.push(t);
    }
  }
  return { modules, agentTypes };
}
