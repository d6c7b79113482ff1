import { assertAgentId, JetStreamKvStore, JetStreamLargeValues, msError, type DatabaseHandle, type NatsHandle, type Topology } from '@mister-smith/core';
import { agentTaskIds, deleteAgentRows, type RowCounts } from './deleteAgentRows.js';
import { purgeAgentMessages, type MessageCounts } from './purgeAgentMessages.js';
import { waitForOlderTransactions } from './waitForOlderTransactions.js';

/** What `eraseAgent` needs: the namespace's NATS and PostgreSQL. */
export interface EraseDeps {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
}

/** Options of `eraseAgent`. */
export interface EraseOptions {
  /**
   * Stops the agent where it is ACTIVE (flush and expire), e.g. through the supervisor API. Called
   * when the agent holds a lease; without it, erasing an owned agent fails with LOCKED.
   */
  readonly stop?: (agentId: string) => Promise<void>;
  /** How long to wait for transactions that started before the erasure was recorded (default 10 s). */
  readonly drainTimeoutMs?: number;
}

/** What an erasure removed, store by store. */
export interface ErasureReport {
  readonly agentId: string;
  /** True when the agent was owned and was stopped first. */
  readonly stopped: boolean;
  /** Messages purged per stream (KV buckets are the `KV_*` streams); for `OBJ_*` (large values), objects deleted. */
  readonly nats: MessageCounts;
  /** Rows deleted per PostgreSQL table. */
  readonly postgres: RowCounts;
  /** Tasks of the agent whose rows and events were removed. */
  readonly tasks: number;
  /** False when a transaction older than the erasure record was still running after `drainTimeoutMs`. */
  readonly drained: boolean;
}

/**
 * Erases one agent everywhere (ARCHITECTURE decision 6): records it in `mister_smith.erased_agents`
 * first, so projections and the bridge drop anything of it from then on; stops it if it is ACTIVE;
 * waits for transactions older than the record (a projection batch in flight); then purges its
 * messages from every stream, its keys from every KV bucket and its large values from the Object
 * Store, and deletes its rows from every table.
 * Other agents are untouched. Erasing twice is harmless (the second finds nothing). The agent's id
 * stays reserved: its events are never projected again.
 *
 * @example
 * const report = await eraseAgent({ nats, pg, topology }, 'customer-42', { stop: (id) => supervisor.stop(id) });
 * console.log(report.postgres['agents.state']); // rows removed
 */
export async function eraseAgent(deps: EraseDeps, agentId: string, options: EraseOptions = {}): Promise<ErasureReport> {
  const { nats, pg, topology } = deps;
  assertAgentId(agentId);
  const leases = await JetStreamKvStore.open(nats, topology.buckets.agentLeases.bucket);
  let stopped = false;
  if (await leases.get(agentId)) {
    if (!options.stop) throw msError('LOCKED', `agent ${agentId} is owned by a running supervisor: stop it first (mister-smith agents stop ${agentId}) or erase through the CLI, which stops it`, { details: { agentId } });
    await options.stop(agentId);
    stopped = true;
  }
  await pg.db.insertInto('mister_smith.erased_agents').values({ agent_id: agentId, removed: JSON.stringify({}) })
    .onConflict((oc) => oc.column('agent_id').doNothing()).execute();

  // A projection or bridge transaction that checked the record before it committed may still write
  // the agent's rows (and KV keys): let those end before sweeping; later ones skip the agent.
  const drained = await waitForOlderTransactions(pg.db, options.drainTimeoutMs);
  const taskIds = await agentTaskIds(pg.db, agentId);
  const natsCounts = await purgeAgentMessages(nats, topology, agentId, taskIds);
  const rowCounts = await deleteAgentRows(pg.db, agentId, taskIds);
  // A publish that was in flight during the first purge (the bridge checks outside a transaction).
  add(natsCounts, await purgeAgentMessages(nats, topology, agentId, taskIds));
  // Its large values (objects `<agentId>/...`, chunks and metadata), once no event or KV entry refers to them.
  const objects = topology.objects.largeValues;
  const deletedObjects = await JetStreamLargeValues.of(nats, objects).deleteAgent(agentId);
  if (deletedObjects > 0) natsCounts[`OBJ_${objects.bucket}`] = deletedObjects;

  const report: ErasureReport = { agentId, stopped, nats: natsCounts, postgres: rowCounts, tasks: taskIds.length, drained };
  await pg.db.updateTable('mister_smith.erased_agents').set({ removed: JSON.stringify(report) }).where('agent_id', '=', agentId).execute();
  return report;
}

function add(into: Record<string, number>, more: Readonly<Record<string, number>>): void {
  for (const [k, n] of Object.entries(more)) into[k] = (into[k] ?? 0) + n;
}
