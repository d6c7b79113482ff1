import { assertAgentId, assertStateKey, JetStreamKvStore, type StreamPosition, type StrategyName } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';
import { openStateStore } from '../connection/openStateStore.js';

/** Options of `mister-smith agents set`. */
export interface AgentsSetOptions {
  /** The key's conflict strategy (default: the key's stored strategy, else LWW). */
  readonly strategy?: StrategyName;
  /** W3C trace context carried in the event's `traceparent` header. */
  readonly traceparent?: string;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What `agents set` did. */
export interface AgentsSetResult {
  readonly agentId: string;
  readonly key: string;
  /** The value now stored (after a merge, when the strategy merged). */
  readonly value: unknown;
  readonly version: StreamPosition;
  readonly merged: boolean;
  /** The supervisor that held the agent's lease when the write was made, if any. */
  readonly owner: string | null;
}

/**
 * `mister-smith agents set ID KEY JSON [--strategy lww|vclock|crdt] [--traceparent TP]`: writes one
 * key through the state plane (commit = the event appended to `agents.state.<id>`), then flushes
 * it to PostgreSQL. When a supervisor owns the agent, its next command sees the write as another
 * writer's event and refreshes its state before it writes (the supervisor API has no operation to
 * set a key through the owner yet).
 *
 * @example
 * await agentsSet('c1', 'count', 5, { strategy: 'lww' });
 */
export async function agentsSet(agentId: string, key: string, value: unknown, options: AgentsSetOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<AgentsSetResult> {
  assertAgentId(agentId);
  assertStateKey(key);
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const leases = await JetStreamKvStore.open(c.nats, c.topology.buckets.agentLeases.bucket);
  const lease = await leases.get(agentId);
  const owner = lease ? ownerOf(lease.value) : null;
  const store = await openStateStore(c);
  let result: AgentsSetResult;
  try {
    const w = await store.write(agentId, key, value, {
      ...(options.strategy ? { strategy: options.strategy } : {}),
      ...(options.traceparent ? { traceparent: options.traceparent } : {}),
    });
    result = { agentId, key, value: w.value, version: w.version, merged: w.merged, owner };
  } finally {
    await store.close();
  }
  output.result(result, () => `${agentId}.${key} = ${JSON.stringify(result.value)} (seq ${result.version.seq}${result.merged ? ', merged' : ''}${owner ? `, owner ${owner} refreshes on its next command` : ''})`);
  return result;
}

function ownerOf(bytes: Uint8Array): string | null {
  try {
    const o = JSON.parse(new TextDecoder().decode(bytes)) as { supervisorId?: unknown };
    return typeof o.supervisorId === 'string' ? o.supervisorId : null;
  } catch (e) {
    if (e instanceof SyntaxError) return null;
    throw e;
  }
}
