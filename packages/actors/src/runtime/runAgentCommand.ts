import { randomBytes } from 'node:crypto';
import { assertStateKey, msError } from '@mister-smith/core';
import type { AgentState, AgentType, CommandTrigger, RuntimeContext } from '../agentTypes/AgentType.js';
import { runCommandAsync, type CommandOutcome, type RunContext, type StateChange } from '../agentTypes/runCommand.js';
import { interruptedError } from '../mailbox/admitCommand.js';
import { afterFire, assertTimerId, createTimerRecord, isMissed, timerInfo } from '../timers/timerRecords.js';
import type { TimerSpec } from '../timers/TimerSpec.js';
import type { WaitInfo, WaitRequest } from '../waits/WaitRequest.js';
import { RUNTIME_KEY, runtimeOf, userStateOf, type RuntimeState, type TimerRecord, type WaitRecord } from './RuntimeState.js';
import { deadlineTimerId, SYSTEM_COMMANDS, TIMEOUT_COMMAND } from './systemCommands.js';
import { setKeyOutcome } from './setKeyOutcome.js';

const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** What changed in the agent's timers and waits: the PostgreSQL indexes follow it. */
export interface RuntimeChanges {
  readonly timersSet: readonly TimerRecord[];
  readonly timersDeleted: readonly string[];
  readonly waitsSet: readonly WaitRecord[];
  readonly waitsDeleted: readonly string[];
}

/** A command's outcome including its runtime changes (already folded into `changes` as `_runtime`). */
export interface AgentCommandOutcome extends CommandOutcome {
  readonly runtime: RuntimeChanges;
}

/** Runs a side effect once per (command id, step id); provided by the owner. */
export type StepRunner = <T>(stepId: string, fn: () => T | Promise<T>) => Promise<T>;

/** Where and when a command runs. */
export interface AgentCommandEnv {
  readonly agentId: string;
  readonly commandId: string | undefined;
  readonly writer: string;
  /** Wall-clock time of the run (ms since the epoch). */
  readonly now: number;
  readonly step?: StepRunner;
  /** Aborted when a newer command interrupts this one. */
  readonly signal?: AbortSignal;
}

function diff(before: RuntimeState, after: RuntimeState): RuntimeChanges {
  const timersSet = Object.values(after.timers).filter((t) => before.timers[t.id] !== t);
  const timersDeleted = Object.keys(before.timers).filter((id) => !(id in after.timers));
  const waitsSet = Object.values(after.waits).filter((w) => before.waits[w.requestId] !== w);
  const waitsDeleted = Object.keys(before.waits).filter((id) => !(id in after.waits));
  return { timersSet, timersDeleted, waitsSet, waitsDeleted };
}

/** A mutable working copy of `_runtime` with the operations handlers and system commands use. */
function workingRuntime(initial: RuntimeState, now: number) {
  const timers: Record<string, TimerRecord> = { ...initial.timers };
  const waits: Record<string, WaitRecord> = { ...initial.waits };
  const deadline = (w: WaitRequest): number | undefined => {
    if (w.deadline !== undefined && w.timeoutMs !== undefined) throw msError('INVALID_ARGUMENT', 'a wait has a deadline or a timeoutMs, not both');
    if (w.timeoutMs !== undefined) {
      if (typeof w.timeoutMs !== 'number' || !Number.isFinite(w.timeoutMs) || w.timeoutMs <= 0) throw msError('INVALID_ARGUMENT', 'timeoutMs must be a positive number');
      return now + w.timeoutMs;
    }
    if (w.deadline === undefined) return undefined;
    const t = typeof w.deadline === 'number' ? w.deadline : Date.parse(w.deadline);
    if (!Number.isFinite(t)) throw msError('INVALID_ARGUMENT', `deadline must be an ISO-8601 time or milliseconds since the epoch, got ${JSON.stringify(w.deadline)}`);
    return t;
  };
  return {
    timers,
    waits,
    setTimer(spec: TimerSpec, type: AgentType): TimerRecord {
      const rec = createTimerRecord(spec, now);
      if (!type.hasCommand(rec.command)) throw msError('UNKNOWN_COMMAND', `timer ${rec.id}: agent type ${type.name} has no command ${JSON.stringify(rec.command)}`, { details: { command: rec.command } });
      timers[rec.id] = rec;
      return rec;
    },
    cancelTimer(timerId: string): boolean {
      assertTimerId(timerId);
      const had = timerId in timers;
      delete timers[timerId];
      return had;
    },
    openWait(w: WaitRequest, type: AgentType): string {
      if (typeof w !== 'object' || w === null) throw msError('INVALID_ARGUMENT', 'a wait is an object: { onResume, payload?, deadline? | timeoutMs?, onTimeout? }');
      const requestId = w.requestId ?? `req-${randomBytes(6).toString('hex')}`;
      if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) throw msError('INVALID_ARGUMENT', `invalid request id ${JSON.stringify(requestId)}: expected 1-64 characters of [A-Za-z0-9_-]`, { details: { requestId } });
      if (requestId in waits) throw msError('INVALID_ARGUMENT', `request ${requestId} is already pending`, { details: { requestId } });
      for (const c of [w.onResume, w.onTimeout]) {
        if (c !== undefined && !type.hasCommand(c)) throw msError('UNKNOWN_COMMAND', `wait ${requestId}: agent type ${type.name} has no command ${JSON.stringify(c)}`, { details: { command: c } });
      }
      if (w.onResume === undefined) throw msError('INVALID_ARGUMENT', `wait ${requestId} needs onResume, the command that receives the answer`);
      const due = deadline(w);
      waits[requestId] = {
        requestId, onResume: w.onResume, createdAt: now,
        ...(w.payload !== undefined ? { payload: w.payload } : {}), ...(due !== undefined ? { deadline: due } : {}), ...(w.onTimeout !== undefined ? { onTimeout: w.onTimeout } : {}),
      };
      if (due !== undefined) {
        const id = deadlineTimerId(requestId);
        timers[id] = { ...createTimerRecord({ command: TIMEOUT_COMMAND, payload: { requestId }, at: due }, now, { internalId: id }), missed: 'fire-once' };
      }
      return requestId;
    },
    closeWait(requestId: string): WaitRecord | undefined {
      const w = waits[requestId];
      delete waits[requestId];
      delete timers[deadlineTimerId(requestId)];
      return w;
    },
    snapshot(): RuntimeState {
      return { timers: { ...timers }, waits: { ...waits } };
    },
  };
}

function waitInfo(agentId: string, w: WaitRecord): WaitInfo {
  return {
    agentId, requestId: w.requestId, ...(w.payload !== undefined ? { payload: w.payload } : {}),
    ...(w.deadline !== undefined ? { deadline: new Date(w.deadline).toISOString() } : {}), createdAt: new Date(w.createdAt).toISOString(),
  };
}

/**
 * Runs one command against an agent's state, the runtime's commands included: a timer fire
 * (validated against the stored timer, so a stale or repeated fire changes nothing), an external
 * timer change, a resume. Pure apart from `env.step`: the caller persists `changes` (the
 * `_runtime` key among them) and updates the PostgreSQL indexes from `runtime`.
 */
export async function runAgentCommand(type: AgentType, state: AgentState, name: string, payload: unknown, env: AgentCommandEnv): Promise<AgentCommandOutcome> {
  const before = runtimeOf(state);
  const rt = workingRuntime(before, env.now);
  const userState = userStateOf(state);
  const context = (trigger: CommandTrigger): RunContext & RuntimeContext => ({
    agentId: env.agentId, commandId: env.commandId, writer: env.writer, trigger, signal: env.signal ?? new AbortController().signal,
    timers: {
      set: (spec) => rt.setTimer(spec, type).id,
      cancel: (id) => rt.cancelTimer(id),
      list: () => Object.values(rt.timers).filter((t) => !t.id.startsWith('_')).map(timerInfo),
    },
    wait: (w) => rt.openWait(w, type),
    waits: () => Object.values(rt.waits).map((w) => waitInfo(env.agentId, w)),
    step: env.step ?? (() => Promise.reject(msError('INVALID_ARGUMENT', 'ctx.step needs a command run by an owner'))),
  });
  const finish = (outcome: CommandOutcome | undefined, result: unknown): AgentCommandOutcome => {
    const after = rt.snapshot();
    const runtime = diff(before, after);
    const changed = runtime.timersSet.length + runtime.timersDeleted.length + runtime.waitsSet.length + runtime.waitsDeleted.length > 0;
    const base = outcome ?? { next: userState, result, changes: [] };
    const next: Record<string, unknown> = { ...base.next };
    if (changed || RUNTIME_KEY in state) next[RUNTIME_KEY] = changed ? after : state[RUNTIME_KEY];
    return {
      next: Object.freeze(next),
      result: outcome ? outcome.result : result,
      // `_runtime` goes last: the command's own effects are committed before the fire is marked done.
      changes: changed ? [...base.changes, { key: RUNTIME_KEY, op: 'put', input: after }] : base.changes,
      runtime,
    };
  };
  const run = async (command: string, p: unknown, trigger: CommandTrigger) => {
    let outcome: CommandOutcome;
    try {
      outcome = await runCommandAsync(type, userState, command, p, context(trigger));
    } catch (e) {
      // A handler that gave up because it was interrupted fails with INTERRUPTED, whatever it threw.
      if (env.signal?.aborted) throw interruptedError(env.agentId);
      throw e;
    }
    return finish(outcome, undefined);
  };

  switch (name) {
    case SYSTEM_COMMANDS.fireTimer: {
      const { timerId, dueAt } = (payload ?? {}) as { timerId?: string; dueAt?: number };
      const timer = typeof timerId === 'string' ? before.timers[timerId] : undefined;
      if (!timer || timer.dueAt !== dueAt) return finish(undefined, { fired: false, reason: timer ? 'rescheduled' : 'no such timer' });
      const next = afterFire(timer, env.now, true);
      if (next) rt.timers[timer.id] = next; else delete rt.timers[timer.id];
      const trigger = { kind: 'timer', timerId: timer.id, dueAt: new Date(timer.dueAt).toISOString(), lateMs: Math.max(0, env.now - timer.dueAt) } as const;
      if (timer.command === TIMEOUT_COMMAND) {
        const requestId = (timer.payload as { requestId: string }).requestId;
        const wait = rt.closeWait(requestId);
        if (!wait?.onTimeout) return finish(undefined, { fired: true, timedOut: requestId });
        return run(wait.onTimeout, { requestId, timedOut: true, request: wait.payload }, { kind: 'timeout', requestId });
      }
      if (timer.missed === 'skip' && isMissed(timer, env.now)) {
        if (next) rt.timers[timer.id] = { ...next, fired: timer.fired };
        return finish(undefined, { fired: false, reason: 'missed', skipped: true });
      }
      return run(timer.command, timer.payload, trigger);
    }
    case SYSTEM_COMMANDS.setTimer: {
      const rec = rt.setTimer((payload as { spec: TimerSpec }).spec ?? (payload as TimerSpec), type);
      return finish(undefined, timerInfo(rec));
    }
    case SYSTEM_COMMANDS.cancelTimer: {
      const timerId = assertTimerId((payload as { timerId?: unknown } | undefined)?.timerId);
      return finish(undefined, { timerId, cancelled: rt.cancelTimer(timerId) });
    }
    case SYSTEM_COMMANDS.resume: {
      const { requestId, value } = (payload ?? {}) as { requestId?: string; value?: unknown };
      const wait = typeof requestId === 'string' ? rt.closeWait(requestId) : undefined;
      if (!wait) throw msError('NOT_FOUND', `agent ${env.agentId} has no pending request ${JSON.stringify(requestId)} (answered, timed out or never opened)`, { details: { agentId: env.agentId, requestId } });
      return run(wait.onResume, { requestId, value, request: wait.payload }, { kind: 'resume', requestId: wait.requestId });
    }
    case SYSTEM_COMMANDS.restore: {
      const target = (payload as { state?: unknown } | undefined)?.state;
      if (typeof target !== 'object' || target === null || Array.isArray(target)) throw msError('INVALID_ARGUMENT', 'restore needs { state: { key: value, ... } }');
      const wanted = userStateOf(target as Record<string, unknown>);
      const changes: StateChange[] = [];
      for (const [key, value] of Object.entries(wanted)) changes.push({ key: assertStateKey(key), op: 'put', input: value });
      for (const key of Object.keys(userState)) if (!(key in wanted)) changes.push({ key, op: 'delete' });
      return finish({ next: Object.freeze({ ...wanted }), result: { restored: Object.keys(wanted).length }, changes }, undefined);
    }
    case SYSTEM_COMMANDS.setKey:
      return finish(setKeyOutcome(userState, payload), undefined);
    default:
      return run(name, payload, { kind: 'client' });
  }
}
