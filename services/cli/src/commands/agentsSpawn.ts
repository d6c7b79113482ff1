import type { SpawnResult } from '@mister-smith/actors';
import { assertAgentId, msError } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { formatTable } from '../cli/formatTable.js';
import { openClients } from '../connection/openClients.js';
import { callSupervisor } from '../connection/supervisorApi.js';

/** Options of `mister-smith agents spawn`. */
export interface AgentsSpawnOptions {
  readonly type: string;
  /** Agent id; with `count` > 1 the ids are `<id>-1` ... `<id>-<count>`. Default: generated. */
  readonly id?: string;
  readonly count?: number;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith agents spawn --type T [--id ID] [--count N]`: registers and activates agents
 * through a running supervisor's request/reply API. `--json` prints an array, whatever the count.
 *
 * @example
 * const [agent] = await agentsSpawn({ type: 'counter', id: 'c1' });
 */
export async function agentsSpawn(options: AgentsSpawnOptions, output: Output = createOutput({ json: options.json === true })): Promise<SpawnResult[]> {
  const count = options.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw msError('INVALID_ARGUMENT', '--count must be an integer from 1 to 10,000');
  const ids: (string | undefined)[] = options.id === undefined
    ? Array.from({ length: count }, () => undefined)
    : count === 1 ? [assertAgentId(options.id)] : Array.from({ length: count }, (_, i) => assertAgentId(`${options.id}-${i + 1}`));
  await using c = await openClients(options.env ? { env: options.env } : {});
  const spawned: SpawnResult[] = [];
  // A few requests in flight at a time: the supervisor hydrates each agent before it answers.
  for (let i = 0; i < ids.length; i += 16) {
    const batch = ids.slice(i, i + 16);
    spawned.push(...await Promise.all(batch.map((agentId) => callSupervisor<SpawnResult>(c, 'spawn', { agentType: options.type, ...(agentId !== undefined ? { agentId } : {}) }))));
  }
  output.result(spawned, () => formatTable(['AGENT', 'TYPE', 'STATE', 'SUPERVISOR'], spawned.map((s) => [s.agentId, s.agentType, s.lifecycle, s.supervisorId])));
  return spawned;
}
