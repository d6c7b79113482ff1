import { LRUCache } from 'lru-cache';
import { msError, stateSubject, type DatabaseHandle, type EventLog, type StateStore } from '@mister-smith/core';
import type { StepRunner } from '../runtime/runAgentCommand.js';
import { stepCompleted, type StepCompletedData } from './stepCompleted.js';

/** The owner's fencing token of one command run, which a step moves forward. */
export interface FenceRef {
  get(): number;
  set(seq: number): void;
}

/** Records and replays durable steps (see `CommandContext.step`). */
export interface StepRecorder {
  /** Forgets what is cached of an agent (a new activation reads its steps again). */
  reset(agentId: string): void;
  /** The step runner of one command run. */
  runner(agentId: string, commandId: string, fence: FenceRef): StepRunner;
}

type Recorded = Map<string, Map<string, unknown>>;

/**
 * Creates the step recorder: a step's result is appended as `StepCompleted` (fenced by the owner's
 * token, so a stale owner cannot record) before the handler goes on; a re-run of the command id
 * finds the recorded results in the stream (and the PostgreSQL archive once evicted) and returns
 * them without calling the step's function again.
 */
export function createStepRecorder(deps: { readonly log: EventLog; readonly store: StateStore; readonly pg?: DatabaseHandle }): StepRecorder {
  const cache = new LRUCache<string, Promise<Recorded>>({ max: 10_000 });

  async function load(agentId: string): Promise<Recorded> {
    const out: Recorded = new Map();
    const add = (d: Partial<StepCompletedData> | undefined) => {
      if (typeof d?.commandId !== 'string' || typeof d.stepId !== 'string') return;
      let m = out.get(d.commandId);
      if (!m) { m = new Map(); out.set(d.commandId, m); }
      if (!m.has(d.stepId)) m.set(d.stepId, d.result);
    };
    if (deps.pg) {
      const rows = await deps.pg.db.selectFrom('mister_smith.event_archive').select('envelope')
        .where('agent_id', '=', agentId).where('event_type', '=', 'StepCompleted').orderBy('seq').execute();
      for (const r of rows) add((r.envelope as { data?: StepCompletedData }).data);
    }
    for await (const item of deps.log.read({ filter: stateSubject(agentId), from: 'start' })) {
      if (item.kind === 'event' && item.record.event.type === 'StepCompleted') add(item.record.event.data as StepCompletedData);
    }
    return out;
  }

  function recorded(agentId: string): Promise<Recorded> {
    let p = cache.get(agentId);
    if (!p) {
      p = load(agentId);
      p.catch(() => cache.delete(agentId));
      cache.set(agentId, p);
    }
    return p;
  }

  return {
    reset: (agentId) => { cache.delete(agentId); },
    runner(agentId, commandId, fence) {
      const used = new Set<string>();
      return async <T>(stepId: string, fn: () => T | Promise<T>): Promise<T> => {
        if (typeof stepId !== 'string' || stepId.length === 0 || stepId.length > 200) throw msError('INVALID_ARGUMENT', 'a step id is a string of 1 to 200 characters');
        if (used.has(stepId)) throw msError('INVALID_ARGUMENT', `step ${stepId} is used twice in command ${commandId}: step ids are unique per command`, { details: { stepId } });
        used.add(stepId);
        const byCommand = (await recorded(agentId)).get(commandId);
        if (byCommand?.has(stepId)) return byCommand.get(stepId) as T;
        const value = await fn();
        const result = value === undefined ? null : JSON.parse(JSON.stringify(value)) as unknown;
        const before = fence.get();
        const { seq } = await deps.log.append(stepCompleted(agentId, { commandId, stepId, result }), { expectedLastSubjectSeq: before });
        deps.store.advance(agentId, before, seq);
        fence.set(seq);
        const all = await recorded(agentId);
        let m = all.get(commandId);
        if (!m) { m = new Map(); all.set(commandId, m); }
        m.set(stepId, result);
        return (value === undefined ? undefined : result) as T;
      };
    },
  };
}
