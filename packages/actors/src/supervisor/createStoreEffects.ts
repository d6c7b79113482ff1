import { asStateChanged, asStateEditedInSql, MisterSmithError, msError, ownershipAcquired, stateSubject, type EventEnvelope, type EventLog, type FlushReport, type HydrateReport, type StateStore, type StreamPosition, type WriteOptions } from '@mister-smith/core';
import type { AgentState, AgentType } from '../agentTypes/AgentType.js';
import type { AgentEffects } from '../host/AgentHost.js';
import type { RuntimeIndex } from '../runtime/createRuntimeIndex.js';
import { runAgentCommand, type AgentCommandOutcome } from '../runtime/runAgentCommand.js';
import { RUNTIME_KEY, runtimeOf, type RuntimeState } from '../runtime/RuntimeState.js';
import type { StepRecorder } from '../steps/createStepRecorder.js';
import type { LeaseManager } from '../leases/LeaseManager.js';
import type { LastStateEvent } from './lastStateEvent.js';

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
}

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
 */
export function createStoreEffects(deps: StoreEffectsDeps): Omit<AgentEffects, 'transition'> {
  const { supervisorId, store, leases, log, agentTypes } = deps;

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
      const oa = () => ownershipAcquired(agentId, { supervisorId, leaseRevision: lease.revision });
      // Hydrate up to the head we saw, then fence at that head: if OwnershipAcquired lands right
      // after it, nothing was written in between and the hydrated state is complete. (Appending
      // first would put our own event after PostgreSQL's newest version and make every hydration
      // replay the stream tail.) A write that slipped in makes us hydrate again.
      let fence: number | undefined;
      let report: HydrateReport | undefined;
      for (let attempt = 1; fence === undefined && attempt <= 3; attempt++) {
        const head = await store.lastSequence(agentId);
        report = await store.hydrateAgent(agentId);
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
      const written: string[] = [];
      let refreshed = false;
      for (let i = 0; i < outcome.changes.length;) {
        const change = outcome.changes[i]!;
        const reserved = change.key.startsWith('_');
        const opts: WriteOptions = {
          strategy: reserved ? 'lww' : type.strategyOf(change.key), writer: supervisorId, expectedLastSeq: fence, durability: type.durability,
          ...(reserved ? { reserved: true } : {}),
          ...(command.commandId !== undefined ? { commandId: command.commandId } : {}), ...(command.base ? { base: command.base } : {}),
        };
        try {
          const res = change.op === 'put' ? await store.write(agentId, change.key, change.input, opts) : await store.delete(agentId, change.key, opts);
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
      return { state: Object.freeze(next), fenceSeq: fence, result: outcome.result, changedKeys: written.filter((k) => !k.startsWith('_')), version };
    },

    async flush({ agentId }) {
      const started = performance.now();
      const report = await flushAgent(agentId);
      deps.onFlush?.(agentId, report, performance.now() - started);
      return report;
    },
  };
}
