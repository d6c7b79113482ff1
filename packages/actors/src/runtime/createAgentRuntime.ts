import { MisterSmithError, silentLogger, type DatabaseHandle, type EventLog, type Logger, type StateStore } from '@mister-smith/core';
import type { AgentState } from '../agentTypes/AgentType.js';
import type { CommandReply } from '../host/AgentHost.js';
import { createStepRecorder, type StepRecorder } from '../steps/createStepRecorder.js';
import { createLocalTimers } from '../timers/createLocalTimers.js';
import { startTimerScheduler, type TimerScheduler } from '../timers/createTimerScheduler.js';
import { timerCommandId, timerInfo } from '../timers/timerRecords.js';
import type { TimerInfo, TimerSpec } from '../timers/TimerSpec.js';
import type { WaitInfo } from '../waits/WaitRequest.js';
import { createRuntimeIndex, type DueTimer, type RuntimeIndex } from './createRuntimeIndex.js';
import { RUNTIME_KEY, runtimeOf, type RuntimeState } from './RuntimeState.js';
import { resumeCommandId, SYSTEM_COMMANDS } from './systemCommands.js';

/** Options of the timer scheduler a supervisor runs. */
export interface SchedulerOptions {
  /** Run a scheduler candidate in this supervisor (default true). */
  readonly enabled?: boolean;
  readonly pollMs?: number;
  readonly concurrency?: number;
  readonly lockPollMs?: number;
  /** First retry delay of a failed fire (default 1 s, doubling up to 10 s). */
  readonly retryMs?: number;
  /** A timer of an agent ACTIVE elsewhere is left to its owner until it is this late (default 5 s). */
  readonly ownerGraceMs?: number;
}

/** What the runtime needs from its supervisor. */
export interface AgentRuntimeDeps {
  readonly pg: DatabaseHandle;
  readonly log: EventLog;
  readonly store: StateStore;
  readonly namespace: string | undefined;
  readonly supervisorId: string;
  readonly logger?: Logger;
  readonly scheduler?: SchedulerOptions;
  /** The supervisor's command path (routing, activation, dedup). Bound after the supervisor exists. */
  readonly command: () => (agentId: string, name: string, payload: unknown, options: { commandId: string }) => Promise<CommandReply>;
  /** The agent's live state in this process, if it is ACTIVE here. */
  readonly residentState: (agentId: string) => AgentState | undefined;
  /** The supervisor that holds the agent's lease, if any. */
  readonly ownerOf: (agentId: string) => Promise<string | undefined>;
}

/** Timers, waits and steps for one supervisor: the parts its effects use, and its API. */
export interface AgentRuntime {
  readonly index: RuntimeIndex;
  readonly steps: StepRecorder;
  onRuntime(agentId: string, runtime: RuntimeState): void;
  /** The agent left this process (EXPIRED): its timers are the scheduler's again. */
  onExpired(agentId: string): void;
  timers(agentId: string): Promise<TimerInfo[]>;
  setTimer(agentId: string, spec: TimerSpec): Promise<TimerInfo>;
  cancelTimer(agentId: string, timerId: string): Promise<{ timerId: string; cancelled: boolean }>;
  resume(agentId: string, requestId: string, value: unknown): Promise<CommandReply>;
  waiting(options?: { readonly agentId?: string; readonly limit?: number }): Promise<WaitInfo[]>;
  /** Resident agents with a timer armed here. */
  armedTimers(): number;
  /** Starts the scheduler candidate (once the supervisor can take commands). */
  start(): void;
  readonly scheduler: TimerScheduler | undefined;
  stop(): Promise<void>;
}

/** Wires the agent runtime of a supervisor (see {@link AgentRuntime}). */
export function createAgentRuntime(deps: AgentRuntimeDeps): AgentRuntime {
  const logger = deps.logger ?? silentLogger();
  const index = createRuntimeIndex(deps.pg);
  const steps = createStepRecorder({ log: deps.log, store: deps.store, pg: deps.pg });
  const ownerGraceMs = deps.scheduler?.ownerGraceMs ?? 5_000;
  let scheduler: TimerScheduler | undefined;

  async function fire(agentId: string, timerId: string, dueAt: number): Promise<void> {
    const reply = await deps.command()(agentId, SYSTEM_COMMANDS.fireTimer, { timerId, dueAt }, { commandId: timerCommandId(timerId, dueAt) });
    const r = reply.result as { fired?: boolean; reason?: string } | undefined;
    // A row the state does not back (its command failed after indexing, or it was cancelled meanwhile).
    if (r?.fired === false && r.reason === 'no such timer') await index.drop(agentId, timerId, dueAt);
  }

  const local = createLocalTimers(fire, (e, agentId, timerId) => logger.warn({ err: e, agentId, timerId }, 'local timer fire failed; retrying'));

  async function runtimeState(agentId: string): Promise<RuntimeState> {
    const here = deps.residentState(agentId);
    if (here) return runtimeOf(here);
    return runtimeOf({ [RUNTIME_KEY]: await deps.store.read(agentId, RUNTIME_KEY) });
  }

  const send = (agentId: string, name: string, payload: unknown, commandId: string) => deps.command()(agentId, name, payload, { commandId });

  return {
    index,
    steps,
    onRuntime: (agentId, runtime) => local.arm(agentId, runtime),
    onExpired: (agentId) => local.disarm(agentId),
    async timers(agentId) {
      return Object.values((await runtimeState(agentId)).timers).filter((t) => !t.id.startsWith('_')).sort((a, b) => a.dueAt - b.dueAt).map(timerInfo);
    },
    async setTimer(agentId, spec) {
      return (await send(agentId, SYSTEM_COMMANDS.setTimer, { spec }, `set-timer:${spec?.id ?? crypto.randomUUID()}:${crypto.randomUUID()}`)).result as TimerInfo;
    },
    async cancelTimer(agentId, timerId) {
      return (await send(agentId, SYSTEM_COMMANDS.cancelTimer, { timerId }, `cancel-timer:${timerId}:${crypto.randomUUID()}`)).result as { timerId: string; cancelled: boolean };
    },
    async resume(agentId, requestId, value) {
      try {
        return await send(agentId, SYSTEM_COMMANDS.resume, { requestId, value }, resumeCommandId(requestId));
      } catch (e) {
        if (MisterSmithError.is(e, 'NOT_FOUND')) await deps.pg.db.deleteFrom('mister_smith.agent_waits').where('agent_id', '=', agentId).where('request_id', '=', requestId).execute();
        throw e;
      }
    },
    waiting: (options) => index.waits(options),
    armedTimers: () => local.size,
    start() {
      if (deps.scheduler?.enabled === false || scheduler) return;
      scheduler = startTimerScheduler({
        pg: deps.pg, namespace: deps.namespace, logger,
        ...(deps.scheduler?.pollMs !== undefined ? { pollMs: deps.scheduler.pollMs } : {}),
        ...(deps.scheduler?.concurrency !== undefined ? { concurrency: deps.scheduler.concurrency } : {}),
        ...(deps.scheduler?.lockPollMs !== undefined ? { lockPollMs: deps.scheduler.lockPollMs } : {}),
        ...(deps.scheduler?.retryMs !== undefined ? { retryMs: deps.scheduler.retryMs } : {}),
        async ownedElsewhere(t: DueTimer) {
          // Resident here: the local timer fires it (and retries a failed fire itself).
          if (deps.residentState(t.agentId)) return Math.max(ownerGraceMs, 1_000);
          const overdue = Date.now() - t.dueAt;
          if (overdue > ownerGraceMs) return false;
          const owner = await deps.ownerOf(t.agentId);
          return owner !== undefined && owner !== deps.supervisorId ? ownerGraceMs - overdue + 1 : false;
        },
        fire: (t) => fire(t.agentId, t.timerId, t.dueAt),
      });
    },
    get scheduler() { return scheduler; },
    async stop() {
      await scheduler?.stop();
      await local.stop();
    },
  };
}
