import { assertAgentId, assertStateKey, JetStreamKvStore, MisterSmithError, msError, type StreamPosition, type StrategyName } from '@mister-smith/core';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';
import { openStateStore } from '../connection/openStateStore.js';
import { callSupervisor } from '../connection/supervisorApi.js';

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
  /** The supervisor that owned the agent and made the write, or null when nobody owned it. */
  readonly owner: string | null;
  /** `owner`: sent to the agent's owner as a command; `state-plane`: nobody owned the agent, written directly (fenced). */
  readonly via: 'owner' | 'state-plane';
}

const ATTEMPTS = 3;

/**
 * `mister-smith agents set ID KEY JSON [--strategy lww|vclock|crdt] [--traceparent TP]`: writes one
 * key without ever racing the agent's owner.
 * - When a supervisor owns the agent (it holds its lease), the write is sent to that owner as a
 *   command (`Supervisor.setKey`): queued behind its running command, fenced like its own writes,
 *   merged by the key's strategy of the agent type (`--strategy` and `--traceparent` do not apply).
 * - When nobody owns it, the write goes through the state plane, fenced: it is appended only if
 *   nothing was appended to the agent since the CLI checked the lease, so an owner that activates
 *   meanwhile (its OwnershipAcquired) makes the CLI look again and send the write to it. Then it is
 *   flushed to PostgreSQL.
 *
 * @example
 * await agentsSet('c1', 'count', 5, { strategy: 'lww' });
 */
export async function agentsSet(agentId: string, key: string, value: unknown, options: AgentsSetOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<AgentsSetResult> {
  assertAgentId(agentId);
  assertStateKey(key);
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const leases = await JetStreamKvStore.open(c.nats, c.topology.buckets.agentLeases.bucket);
  const store = await openStateStore(c);
  let result: AgentsSetResult | undefined;
  try {
    for (let attempt = 1; !result; attempt++) {
      // The head first, then the lease: an owner that takes the agent after this look appends its
      // OwnershipAcquired after the head, and the fenced write below fails instead of racing it.
      const head = await store.lastSequence(agentId);
      const lease = await leases.get(agentId);
      const owner = lease ? ownerOf(lease.value) : null;
      if (owner) {
        const r = await callSupervisor<{ result: unknown; version?: StreamPosition }>(c, 'set', { agentId, key, value });
        if (!r.version) throw msError('INTERNAL', `the owner of ${agentId} answered the set of ${key} without a version`);
        result = { agentId, key, value: r.result, version: r.version, merged: false, owner, via: 'owner' };
        break;
      }
      try {
        const w = await store.write(agentId, key, value, {
          expectedLastSeq: head,
          ...(options.strategy ? { strategy: options.strategy } : {}),
          ...(options.traceparent ? { traceparent: options.traceparent } : {}),
        });
        result = { agentId, key, value: w.value, version: w.version, merged: w.merged, owner: null, via: 'state-plane' };
      } catch (e) {
        if (!MisterSmithError.is(e, 'SEQUENCE_CONFLICT') || attempt >= ATTEMPTS) throw e;
      }
    }
  } finally {
    await store.close();
  }
  const r = result;
  output.result(r, () => `${agentId}.${key} = ${JSON.stringify(r.value)} (seq ${r.version.seq}${r.merged ? ', merged' : ''}${r.owner ? `, written by its owner ${r.owner}` : ''})`);
  return r;
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
