import { asStateChanged, asStateEditedInSql, commandDigest, MisterSmithError, msError, ownershipAcquired, stateSubject, type CommandResult, type EventEnvelope, type EventLog, type FlushReport, type HydrateReport, type StateStore, type StreamPosition, type WriteOptions } from '@mister-smith/core';
import type { AgentState, AgentType } from '../agentTypes/AgentType.js';
import type { AgentEffects } from '../host/AgentHost.js';
import type { RuntimeIndex } from '../runtime/createRuntimeIndex.js';
import { runAgentCommand, type AgentCommandOutcome } from '../runtime/runAgentCommand.js';
import { RUNTIME_KEY, runtimeOf, type RuntimeState } from '../runtime/RuntimeState.js';
import type { StepRecorder } from '../steps/createStepRecorder.js';
import type { LeaseManager } from '../leases/LeaseManager.js';
import type { LastStateEvent } from './lastStateEvent.js';
import { CommandIndex } from './CommandIndex.js';

/** What the store-backed effects need. */
export interface StoreEffectsDeps {
  readonly supervisorId: string;
  readonly store: StateStore;
  readonly leases: LeaseManager;
  /** The AGENT_STATE event log (OwnershipAcquired appends). */
  readonly log: EventLog;
  readonly agentTypes: ReadonlyMap<string, AgentType>;
  /** Reads the last event on `agents.state.<agentId>`. */
  readonly lastStateEvent: (agentId: string) => Promise<LastStateEvent | undefined>;
  /** Flushes the agent's dirty rows (default `store.flushAgent`). */
  readonly flushAgent?: (agentId: string) => Promise<FlushReport>;
  readonly onFlush?: (agentId: string, report: FlushReport, durationMs: number) => void;
  readonly onStaleOwner?: (agentId: string, takenBy: string | undefined) => void;
  /** The agent runtime: timer and wait indexes, durable steps, and who arms an agent's timers. */
  readonly runtime?: {
    readonly index: RuntimeIndex;
    readonly steps: StepRecorder;
    /** The agent's timers after hydration or a command (arm them). */
    readonly onRuntime: (agentId: string, runtime: RuntimeState) => void;
  };
  /** Wall clock (default `Date.now`). */
  readonly now?: () => number;
  /**
   * The agent's command results recorded in PostgreSQL since `since` (the dedup window). Omitted,
   * only the stream tail after PostgreSQL's head is indexed (tests without a database).
   */
  readonly loadCommandResults?: (agentId: string, since: Date) => Promise<readonly CommandResult[]>;
  /** How long a command id is remembered (default 24 h). */
  readonly commandWindowMs?: number;
}

/** The store-backed effects, plus `forget` to drop an EXPIRED agent's dedup index from memory. */
export type StoreEffects = Omit<AgentEffects, 'transition'> & { forget(agentId: string): void };

function keyOf(e: EventEnvelope): string | undefined {
  const d = e.data as { key?: unknown; state_key?: unknown } | null;
  const k = d?.key ?? d?.state_key;
  return typeof k === 'string' ? k : undefined;
}

/**
 * The lifecycle effects over the state plane and the lease bucket:
 * - `hydrate` takes the lease, hydrates KV from PostgreSQL (and the stream tail PostgreSQL lacks),
 *   appends `OwnershipAcquired` right after the head it hydrated to (its sequence is the fencing
 *   token) and reads the state;
 * - `execute` runs the handler and writes each changed key with `expectedLastSeq`; on
 *   SEQUENCE_CONFLICT it inspects the events after its token: an OwnershipAcquired means this
 *   owner is stale (STALE_OWNER), anything else (e.g. an SQL edit) refreshes the token and the
 *   state and retries once;
 * - `flush` writes the agent's dirty rows to PostgreSQL.
 *
 * Commands are effectively once: hydration builds the agent's dedup index from
 * `mister_smith.command_results` (within the window) plus the command results in the stream after
 * PostgreSQL's head, before the agent takes a command; `execute` answers a known command id with its
 * recorded reply (IDEMPOTENCY_CONFLICT for another payload), and records each command it runs with
 * its effect: on the command's last `StateChanged`, or as `CommandRecorded` when nothing changed.
 */
export function createStoreEffects(deps: StoreEffectsDeps): StoreEffects {
  const { supervisorId, store, leases, log, agentTypes } = deps;
  const commandWindowMs = deps.commandWindowMs ?? 24 * 3_600_000;
  /** Per ACTIVE agent: the commands it ran within the window (built at hydration, before any command). */
  const indexes = new Map<string, CommandIndex>();

  const typeOf = (name: string): AgentType => {
    const t = agentTypes.get(name);
    if (!t) throw msError('INVALID_ARGUMENT', `unknown agent type ${name}`, { details: { agentType: name } });
    return t;
  };

  const flushAgent = deps.flushAgent ?? ((agentId: string) => store.flushAgent(agentId));

  /**
   * The events after our token: a takeover (an OwnershipAcquired anywhere after `fence`; the
   * last event alone is not enough, the new owner's own writes follow its OwnershipAcquired),
   * and the foreign edits to merge (StateEditedInSql from the bridge, StateChanged of another
   * writer). The range is scanned only when it holds more than the last event.
   */
  async function eventsAfter(agentId: string, fence: number, last: LastStateEvent): Promise<{ takeover?: { seq: number; by: string | undefined }; edits: EventEnvelope[] }> {
    const by = (e: EventEnvelope) => (e.data as { supervisorId?: string } | undefined)?.supervisorId;
    if (last.event?.type === 'OwnershipAcquired') return { takeover: { seq: last.seq, by: by(last.event) }, edits: [] };
    const events: { seq: number; event: EventEnvelope }[] = [];
    if (last.seq === fence + 1) {
      if (last.event) events.push({ seq: last.seq, event: last.event });
    } else {
      for await (const item of log.read({ filter: stateSubject(agentId), from: { seq: fence + 1 }, toSeq: last.seq })) {
        if (item.kind === 'event') events.push({ seq: item.record.seq, event: item.record.event });
      }
    }
    const oa = events.find((e) => e.event.type === 'OwnershipAcquired');
    if (oa) return { takeover: { seq: oa.seq, by: by(oa.event) }, edits: [] };
    return { edits: events.map((e) => e.event) };
  }

  /** Applies foreign edits to a state object (the owner's view catches up with them). */
  function merge(state: Record<string, unknown>, edits: readonly EventEnvelope[]): Record<string, unknown> {
    const out = { ...state };
    for (const e of edits) {
      try {
        if (e.type === 'StateEditedInSql') {
          const d = asStateEditedInSql(e).data;
          if (d.operation === 'DELETE' || d.tombstone) delete out[d.state_key]; else out[d.state_key] = d.new_value;
        } else if (e.type === 'StateChanged') {
          const d = asStateChanged(e).data;
          if (d.op === 'delete') delete out[d.key]; else out[d.key] = d.value;
        }
      } catch (err) {
        // A malformed event cannot be merged; the agent-state projection dead-letters it.
        if (!MisterSmithError.is(err, 'MALFORMED_EVENT')) throw err;
      }
    }
    return out;
  }

  return {
    async hydrate({ agentId, agentType }) {
      const type = typeOf(agentType);
      const lease = await leases.acquire(agentId);
      // The store owns flushing; the agent type says when.
      store.setFlushPolicy(agentId, { threshold: type.flushThreshold, intervalMs: type.flushIntervalMs });
      const oa = () => ownershipAcquired(agentId, { supervisorId, leaseRevision: lease.revision });
      // Hydrate up to the head we saw, then fence at that head: if OwnershipAcquired lands right
      // after it, nothing was written in between and the hydrated state is complete. (Appending
      // first would put our own event after PostgreSQL's newest version and make every hydration
      // replay the stream tail.) A write that slipped in makes us hydrate again.
      let fence: number | undefined;
      let report: HydrateReport | undefined;
      for (let attempt = 1; fence === undefined && attempt <= 3; attempt++) {
        report = await store.hydrateAgent(agentId);
        // The head the hydration read the stream at: the state is complete as of it.
        const head = report.head;
        try {
          fence = (await log.append(oa(), { expectedLastSubjectSeq: head })).seq;
          store.advance(agentId, head, fence); // our own OwnershipAcquired changes no state key
        } catch (e) {
          if (!MisterSmithError.is(e, 'SEQUENCE_CONFLICT')) throw e;
        }
      }
      if (fence === undefined) {
        // Still racing a writer (a stale owner): fence first, then hydrate everything before the fence.
        fence = (await log.append(oa())).seq;
        report = await store.hydrateAgent(agentId);
      }
      const since = new Date((deps.now ?? Date.now)() - commandWindowMs);
      const recorded = deps.loadCommandResults ? await deps.loadCommandResults(agentId, since) : [];
      indexes.set(agentId, CommandIndex.of([...recorded, ...report!.commands], commandWindowMs, deps.now));
      // Nothing stored yet (a new agent): its state is the type's initial state.
      const state = report!.keys === 0 ? type.initialState : Object.freeze({ ...type.initialState, ...report!.values }) as AgentState;
      const rt = deps.runtime;
      if (rt) {
        rt.steps.reset(agentId);
        if (RUNTIME_KEY in state) {
          // Re-index what the state holds (a crash may have cut a command between commit and cleanup), then arm.
          const runtime = runtimeOf(state);
          await rt.index.reconcile(agentId, agentType, { timersSet: Object.values(runtime.timers), timersDeleted: [], waitsSet: Object.values(runtime.waits), waitsDeleted: [] }, Object.keys(runtime.timers), Object.keys(runtime.waits));
          rt.onRuntime(agentId, runtime);
        }
      }
      return { state, fenceSeq: fence };
    },

    async execute({ agentId, agentType, state, fenceSeq, command, signal }) {
      const type = typeOf(agentType);
      const rt = deps.runtime;
      const commandId = command.commandId;
      const digest = commandDigest(command.name, command.payload);
      const index = commandId === undefined ? undefined : indexes.get(agentId);
      const seen = commandId === undefined ? undefined : index?.lookup(agentId, commandId, digest);
      if (seen) {
        // Ran before (here, or under an owner before a crash, takeover or passivation): its recorded reply.
        const changed = seen.reply.changedKeys.length > 0;
        return { state, fenceSeq, result: seen.reply.result, changedKeys: [], version: changed ? seen.version : undefined, duplicate: true };
      }
      let fence = fenceSeq;
      const fenceRef = { get: () => fence, set: (seq: number) => { fence = seq; } };
      const env = {
        agentId, commandId: command.commandId, writer: supervisorId, now: (deps.now ?? Date.now)(), ...(signal ? { signal } : {}),
        ...(rt && command.commandId !== undefined ? { step: rt.steps.runner(agentId, command.commandId, fenceRef) } : {}),
      };
      const prepare = async (from: AgentState): Promise<AgentCommandOutcome> => {
        const o = await runAgentCommand(type, from, command.name, command.payload, env);
        // Index new timers and waits before they commit, so a COLD agent's timer is always findable.
        if (rt) await rt.index.beforeCommit(agentId, agentType, o.runtime);
        return o;
      };
      let outcome = await prepare(state);
      let next: Record<string, unknown> = { ...outcome.next };
      let version: StreamPosition | undefined;
      let recorded: StreamPosition | undefined;
      let notFlushed: MisterSmithError | undefined;
      const written: string[] = [];
      const visible = () => written.filter((k) => !k.startsWith('_'));
      let refreshed = false;
      for (let i = 0; ;) {
        const change = outcome.changes[i];
        if (!change && (written.length > 0 || commandId === undefined || recorded)) break;
        // The command's last write carries its id, digest and reply: recorded with the effect.
        const record = commandId !== undefined && change && i === outcome.changes.length - 1
          ? { digest, reply: { result: outcome.result ?? null, changedKeys: [...visible(), ...(change.key.startsWith('_') ? [] : [change.key])] } }
          : undefined;
        const durability = notFlushed ? 'jetstream' : type.durability;
        try {
          if (!change) {
            // Nothing changed: the reply is still recorded (a CommandRecorded event, fenced).
            const res = await committed(store.recordCommand(agentId, { commandId: commandId!, digest, reply: { result: outcome.result ?? null, changedKeys: [] } }, { writer: supervisorId, expectedLastSeq: fence, durability }));
            recorded = res.version;
            fence = res.version.seq;
            continue;
          }
          const reserved = change.key.startsWith('_');
          const opts: WriteOptions = {
            strategy: reserved ? 'lww' : type.strategyOf(change.key), writer: supervisorId, expectedLastSeq: fence, durability,
            ...(reserved ? { reserved: true } : {}),
            ...(commandId !== undefined ? { commandId } : {}), ...(record ? { commandResult: record } : {}), ...(command.base ? { base: command.base } : {}),
          };
          const res = await committed(change.op === 'put' ? store.write(agentId, change.key, change.input, opts) : store.delete(agentId, change.key, opts), change.key);
          fence = res.version.seq;
          version = res.version;
          if (change.op === 'put') next[change.key] = res.value; else delete next[change.key];
          written.push(change.key);
          i++;
        } catch (e) {
          if (!MisterSmithError.is(e, 'SEQUENCE_CONFLICT')) throw e;
          const last = await deps.lastStateEvent(agentId);
          if (!last || last.seq <= fence) throw e;
          const after = await eventsAfter(agentId, fence, last);
          if (after.takeover) {
            const { by, seq } = after.takeover;
            deps.onStaleOwner?.(agentId, by);
            throw msError('STALE_OWNER', `supervisor ${supervisorId} no longer owns agent ${agentId}: ${by ?? 'another supervisor'} took it over (OwnershipAcquired at seq ${seq}); the write was rejected`, { cause: e, details: { agentId, owner: by, fence, takeoverSeq: seq } });
          }
          if (refreshed) throw e;
          // Another writer's events (e.g. StateEditedInSql from the bridge): merge them, retry once.
          refreshed = true;
          fence = last.seq;
          if (written.length === 0) {
            outcome = await prepare(Object.freeze(merge(state, after.edits)));
            next = { ...outcome.next };
            i = 0;
          } else {
            // Keys this command already wrote keep the value it wrote.
            next = merge(next, after.edits.filter((ev) => { const k = keyOf(ev); return k === undefined || !written.includes(k); }));
          }
        }
      }
      if (rt && outcome.changes.some((c) => c.key === RUNTIME_KEY)) {
        await rt.index.afterCommit(agentId, outcome.runtime);
        rt.onRuntime(agentId, runtimeOf(next));
      }
      const at = version ?? recorded;
      if (commandId !== undefined && at) {
        index?.add(commandId, { digest, reply: { result: outcome.result ?? null, changedKeys: visible() }, version: at, recordedAt: (deps.now ?? Date.now)() });
      }
      return { state: Object.freeze(next), fenceSeq: fence, result: outcome.result, changedKeys: visible(), version, ...(notFlushed ? { error: notFlushed } : {}) };

      /**
       * COMMITTED_NOT_FLUSHED: the append (the commit point) succeeded, only the PostgreSQL wait of
       * `postgres` durability failed. The command goes on as committed (state, fence and index move
       * on, later writes stop waiting for PostgreSQL) and the caller gets the error at the end.
       */
      async function committed(write: Promise<{ version: StreamPosition; value?: unknown }>, key?: string): Promise<{ version: StreamPosition; value?: unknown }> {
        try {
          return await write;
        } catch (e) {
          if (!MisterSmithError.is(e, 'COMMITTED_NOT_FLUSHED')) throw e;
          notFlushed ??= e;
          const v = e.details.version as StreamPosition;
          // The store holds the committed value (merged, if the strategy merged).
          return { version: { epoch: v.epoch, seq: v.seq }, value: key === undefined ? undefined : await store.read(agentId, key) };
        }
      }
    },

    forget(agentId) {
      indexes.delete(agentId);
    },

    async flush({ agentId }) {
      const started = performance.now();
      const report = await flushAgent(agentId);
      deps.onFlush?.(agentId, report, performance.now() - started);
      return report;
    },
  };
}
