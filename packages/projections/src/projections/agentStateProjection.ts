import {
  agentKvKey, asStateChanged, asStateEditedInSql, commandResultOf, compareVersions, JetStreamLargeValues, msError, recordCommandResults, resolveEventValue, stateSubject, storedFromEvent, upsertStateRows,
  writeKvForward, type CommandResult, type KvStore, type LargeValueStore, type StateRow, type StrategyName, type VersionedValue,
} from '@mister-smith/core';
import { isCrdtChanges } from '@mister-smith/crdt';
import type { Projection, ProjectionContext } from '../types/Projection.js';
import type { ProjectionItem } from '../types/ProjectionItem.js';
import { untyped } from './untypedTables.js';
import { mapLimit } from '@mister-smith/core/util';

/** Options of the agent-state projection. */
export interface AgentStateProjectionOptions {
  /** The AGENT_STATE bucket; omitted, only PostgreSQL is written. */
  readonly kv?: KvStore;
  /** KV writes in flight per batch (default 32). */
  readonly kvConcurrency?: number;
  readonly name?: string;
  /** Where values by reference are fetched from (default: the topology's LARGE_VALUES Object Store). */
  readonly values?: LargeValueStore;
}

const TABLE = 'agents.state';
const STRATEGIES: ReadonlySet<string> = new Set(['lww', 'vclock', 'crdt']);

/**
 * Agent state: `StateChanged` and `StateEditedInSql` on `agents.state.<agentId>` -> `agents.state`
 * (through `upsertStateRows`, versioned by (epoch, seq), tombstones for deletes) and the AGENT_STATE
 * KV bucket (through `writeKvForward`, so KV only moves forward). An SQL edit becomes a plain value
 * (`meta`/`stored` null) at its event's version and keeps the key's strategy. `OwnershipAcquired` and `StepCompleted` are
 * not state and are skipped; any other event type is unhandled (dead-lettered after retries).
 * Command results (a command's last `StateChanged`, or `CommandRecorded`) go to
 * `mister_smith.command_results` in the same transaction (live mode), so the table is complete up to
 * `agents.state`'s head of every agent, which is what a new owner's dedup index relies on.
 *
 * KV is written after the PostgreSQL statements and before the commit: a crash in between replays
 * the batch, and the KV writes are skipped as equal. A rebuild writes no KV.
 *
 * A value by reference (over the inline limit) is fetched from the LARGE_VALUES Object Store: the
 * row holds the value itself (SQL readers and hydration need no Object Store), KV the reference.
 */
export function agentStateProjection(options: AgentStateProjectionOptions = {}): Projection {
  const name = options.name ?? 'agent-state';
  return {
    name,
    stream: 'agentState',
    subjects: ['agents.state.>'],
    tables: [TABLE],
    async apply(items, ctx) {
      const commands: CommandResult[] = [];
      const values = options.values ?? JetStreamLargeValues.of(ctx.nats, ctx.topology.objects.largeValues);
      const rows = await stateRowsOf(items, ctx, commands, values);
      const physical = ctx.table(TABLE);
      await upsertStateRows(ctx.trx, rows, { table: physical });
      if (ctx.mode === 'live') await recordCommandResults(ctx.trx, commands);
      if (options.kv && ctx.mode === 'live') await writeKv(options.kv, rows, options.kvConcurrency ?? 32);
    },
  };
}

async function stateRowsOf(items: readonly ProjectionItem[], ctx: ProjectionContext, commands: CommandResult[], values: LargeValueStore): Promise<StateRow[]> {
  const rows: StateRow[] = [];
  const strategyOf = new Map<string, StrategyName>();
  const unresolved: number[] = [];
  for (const item of items) {
    if (item.kind !== 'event') throw item.error;
    const e = item.event;
    const owner = (agentId: string) => {
      // An event belongs to the agent whose subject stores it: a forged agentId, or a deeper
      // subject, would otherwise write another agent's state.
      if (item.subject !== stateSubject(agentId)) {
        throw msError('MALFORMED_EVENT', `${e.type} for agent ${agentId} is stored under ${item.subject}`, { details: { subject: item.subject, agentId, seq: item.seq } });
      }
    };
    if (e.type === 'StateChanged' || e.type === 'CommandRecorded') {
      if (typeof e.agentId === 'string') owner(e.agentId);
      const command = commandResultOf(e, { epoch: item.epoch, seq: item.seq });
      if (command) commands.push(command);
    }
    if (e.type === 'StateChanged') {
      const s = asStateChanged(await resolveEventValue(values, e));
      owner(s.agentId!);
      const del = s.data.op === 'delete';
      rows.push({
        agentId: s.agentId!, stateKey: s.data.key, value: del ? null : (s.data.value ?? null), stored: del ? null : (s.data.stored ?? null),
        epoch: item.epoch, seq: item.seq, tombstone: del, strategy: s.data.strategy, ...(s.data.ref && !del ? { ref: s.data.ref } : {}),
      });
      strategyOf.set(keyOf(s.agentId!, s.data.key), s.data.strategy);
    } else if (e.type === 'StateEditedInSql') {
      const d = asStateEditedInSql(e).data;
      owner(d.agent_id);
      const tombstone = d.operation === 'DELETE' || d.tombstone === true;
      const known = strategyOf.get(keyOf(d.agent_id, d.state_key));
      if (known === undefined) unresolved.push(rows.length);
      rows.push({
        agentId: d.agent_id, stateKey: d.state_key, value: tombstone ? null : (d.new_value ?? null), stored: null,
        epoch: item.epoch, seq: item.seq, tombstone, strategy: known ?? 'lww',
      });
    } else if (e.type !== 'OwnershipAcquired' && e.type !== 'CommandRecorded' && e.type !== 'StepCompleted') {
      throw msError('PROJECTION_FAILED', `agent-state does not handle event type ${e.type}`, { details: { type: e.type, seq: item.seq } });
    }
  }
  if (unresolved.length > 0) {
    // An SQL edit keeps the strategy the key had before this batch (deterministic: the table holds
    // exactly the events before it, live or during a rebuild).
    const agents = [...new Set(unresolved.map((i) => rows[i]!.agentId))];
    const found = await untyped(ctx.trx).selectFrom(ctx.table(TABLE)).select(['agent_id', 'state_key', 'strategy']).where('agent_id', 'in', agents).execute();
    const byKey = new Map(found.map((r) => [keyOf(String(r.agent_id), String(r.state_key)), String(r.strategy)]));
    for (const i of unresolved) {
      const r = rows[i]!;
      const s = byKey.get(keyOf(r.agentId, r.stateKey));
      if (s !== undefined && STRATEGIES.has(s)) rows[i] = { ...r, strategy: s as StrategyName };
    }
  }
  return rows.some((r) => isCrdtChanges(r.stored)) ? withCrdtDocuments(rows, ctx) : rows;
}

/**
 * An Automerge write's event carries the changes since the key's version before it; the row holds
 * the whole document. Each is applied to the key's previous row: an earlier one of this batch, else
 * the table's (one query for the batch). An event the table already holds a newer (or the same)
 * version of, the write-behind got there first: its row is left out (rows never regress).
 */
async function withCrdtDocuments(rows: readonly StateRow[], ctx: ProjectionContext): Promise<StateRow[]> {
  const firstIsChanges = new Set<string>();
  const seen = new Set<string>();
  for (const r of rows) {
    const k = keyOf(r.agentId, r.stateKey);
    if (!seen.has(k) && isCrdtChanges(r.stored)) firstIsChanges.add(k);
    seen.add(k);
  }
  const previous = new Map<string, VersionedValue>();
  if (firstIsChanges.size > 0) {
    const agents = [...new Set(rows.filter((r) => firstIsChanges.has(keyOf(r.agentId, r.stateKey))).map((r) => r.agentId))];
    const found = await untyped(ctx.trx).selectFrom(ctx.table(TABLE))
      .select(['agent_id', 'state_key', 'state_value', 'meta', 'version_epoch', 'version', 'tombstone', 'strategy'])
      .where('agent_id', 'in', agents).execute();
    for (const f of found) {
      const k = keyOf(String(f.agent_id), String(f.state_key));
      if (!firstIsChanges.has(k)) continue;
      previous.set(k, {
        epoch: Number(f.version_epoch), seq: Number(f.version), strategy: String(f.strategy) as StrategyName,
        value: f.state_value ?? null, stored: f.meta ?? null, ...(f.tombstone === true ? { tombstone: true } : {}),
      });
    }
  }
  const out: StateRow[] = [];
  for (const r of rows) {
    const k = keyOf(r.agentId, r.stateKey);
    const prev = previous.get(k);
    if (prev && compareVersions(prev, r) >= 0) continue;
    const row = isCrdtChanges(r.stored) ? { ...r, stored: storedFromEvent(prev, r.stored) } : r;
    out.push(row);
    previous.set(k, { epoch: row.epoch, seq: row.seq, strategy: row.strategy, value: row.value ?? null, stored: row.stored ?? null, ...(row.tombstone ? { tombstone: true } : {}) });
  }
  return out;
}

async function writeKv(kv: KvStore, rows: readonly StateRow[], concurrency: number): Promise<void> {
  const newest = new Map<string, StateRow>();
  for (const r of rows) {
    const k = keyOf(r.agentId, r.stateKey);
    const prev = newest.get(k);
    if (!prev || compareVersions(prev, r) < 0) newest.set(k, r);
  }
  await mapLimit([...newest.values()], concurrency, (r) => writeKvForward(kv, agentKvKey(r.agentId, r.stateKey), {
    epoch: r.epoch, seq: r.seq, strategy: r.strategy, value: r.value ?? null, stored: r.stored ?? null,
    ...(r.tombstone ? { tombstone: true } : {}), ...(r.ref ? { ref: r.ref } : {}),
  }));
}

function keyOf(agentId: string, key: string): string {
  return `${agentId}\u0000${key}`;
}
