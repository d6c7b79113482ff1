import { LRUCache } from 'lru-cache';
import { msError, newId, type LifecycleState } from '@mister-smith/core';
import { createActor, fromPromise, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import { backoffMs } from '@mister-smith/core/util';
import type { AgentType } from '../agentTypes/AgentType.js';
import { agentLifecycleMachine } from '../lifecycle/agentLifecycleMachine.js';
import { admitCommand, interruptedError } from '../mailbox/admitCommand.js';
import { isSystemCommand } from '../runtime/systemCommands.js';
import type { CommandSettlement, ExecuteInput, ExecuteOutput, FlushInput, HydrateInput, HydrateOutput, LifecycleConfig, TransitionParams } from '../lifecycle/lifecycleTypes.js';
import type { AgentHost, AgentHostOptions, CommandOptions, CommandReply, HostClock, ResidentAgent } from './AgentHost.js';

/** The internal command `activate` sends: runs no handler, only makes the agent ACTIVE. */
const ACTIVATE = '\u0000activate';

interface Pending {
  readonly agentId: string;
  readonly commandId: string | undefined;
  resolve(r: CommandReply): void;
  reject(e: unknown): void;
}

type Machine = typeof agentLifecycleMachine;
type AgentActor = ActorRefFrom<Machine>;
type Snapshot = SnapshotFrom<Machine>;

const realClock: HostClock & { now(): number } = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
  now: () => Date.now(),
};

const isLive = (l: LifecycleState | undefined) => l === 'ACTIVE' || l === 'FLUSHING';

/**
 * Creates an agent host (see {@link AgentHost}). One lifecycle machine with the injected effects
 * is shared by every agent; each agent is one XState actor, created on its first command and
 * dropped from memory once EXPIRED.
 *
 * @example
 * const host = createAgentHost({ supervisorId: 's1', agentTypes: [counterAgent], lifecycleOf: () => config, effects });
 * await host.command('c1', counterAgent, 'increment', { by: 2 });
 * await host.stop();
 */
export function createAgentHost(options: AgentHostOptions): AgentHost {
  const { supervisorId, effects } = options;
  const clock = (options.clock ?? realClock) as HostClock & { now?(): number };
  const now = () => (clock.now ? clock.now() : Date.now());
  const maxRestarts = options.maxRestarts ?? 5;
  const restartWindowMs = options.restartWindowMs ?? 60_000;
  const restartBackoffMs = options.restartBackoffMs ?? 100;
  const rememberExpired = options.rememberExpired ?? 100_000;
  const configs = new Map<string, LifecycleConfig>();
  const types = new Map(options.agentTypes.map((t) => [t.name, t]));
  const actors = new Map<string, AgentActor>();
  const pending = new Map<number, Pending>();
  const expired = new LRUCache<string, true>({ max: Math.max(1, rememberExpired) });
  const crashes = new Map<string, number[]>();
  const restartTimers = new Set<unknown>();
  /** Abort controllers of running commands, per agent (mailbox policy `interrupt`). */
  const running = new Map<string, AbortController>();
  let tickets = 0;
  let stopping: Promise<void> | undefined;

  const machine = agentLifecycleMachine.provide({
    actors: {
      hydrate: fromPromise<HydrateOutput, HydrateInput>(({ input }) => effects.hydrate(input)),
      execute: fromPromise<ExecuteOutput, ExecuteInput>(({ input }) => {
        if (input.command.name === ACTIVATE) return Promise.resolve({ state: input.state, fenceSeq: input.fenceSeq, result: undefined, changedKeys: [] });
        const ac = new AbortController();
        running.set(input.agentId, ac);
        return effects.execute({ ...input, signal: ac.signal }).finally(() => { if (running.get(input.agentId) === ac) running.delete(input.agentId); });
      }),
      flush: fromPromise<unknown, FlushInput>(({ input }) => effects.flush(input)),
    },
    actions: {
      publishTransition: ({ context }, p: TransitionParams) => {
        effects.transition({ agentId: context.agentId, agentType: context.agentType, supervisorId, ...p });
        if (p.to === 'EXPIRED') queueMicrotask(() => evictIfExpired(context.agentId));
      },
      settleCommand: (_args, s: CommandSettlement) => settle(s),
    },
  });

  function configOf(type: AgentType): LifecycleConfig {
    let c = configs.get(type.name);
    if (!c) { c = options.lifecycleOf(type); configs.set(type.name, c); }
    return c;
  }

  function spawn(agentId: string, type: AgentType, startsExpired: boolean): AgentActor {
    const actor = createActor(machine, {
      input: { agentId, agentType: type.name, supervisorId, config: configOf(type), ...(startsExpired ? { startsExpired: true } : {}) },
      clock: clock as HostClock & { setTimeout: (fn: (...a: unknown[]) => void, ms: number) => unknown },
    });
    // Without an error observer XState rethrows a crash in a later macrotask (an uncaught exception).
    actor.subscribe({ error: (err) => onCrash(agentId, type, actor, err) });
    actors.set(agentId, actor);
    expired.delete(agentId);
    actor.start();
    return actor;
  }

  function evictIfExpired(agentId: string): void {
    const actor = actors.get(agentId);
    if (!actor || stopping) return;
    const s = actor.getSnapshot();
    if (s.status === 'active' && s.context.lifecycle === 'EXPIRED' && s.context.queue.length === 0) {
      actors.delete(agentId);
      actor.stop();
      expired.set(agentId, true);
    }
  }

  function settle(s: CommandSettlement): void {
    const p = pending.get(s.ticket);
    if (!p) return;
    pending.delete(s.ticket);
    if (!s.ok) { p.reject(s.error); return; }
    if (s.output.error !== undefined) { p.reject(s.output.error); return; }
    p.resolve({
      agentId: p.agentId, commandId: p.commandId ?? '', result: s.output.result, version: s.output.version, changedKeys: s.output.changedKeys,
      ...(s.output.duplicate ? { duplicate: true } : {}),
    });
  }

  function rejectPendingOf(agentId: string, error: unknown): void {
    for (const [ticket, p] of pending) {
      if (p.agentId === agentId) { pending.delete(ticket); p.reject(error); }
    }
  }

  function recentCrashes(agentId: string): number[] {
    const t = now();
    const list = (crashes.get(agentId) ?? []).filter((at) => t - at < restartWindowMs);
    if (list.length === 0) crashes.delete(agentId); else crashes.set(agentId, list);
    return list;
  }

  function onCrash(agentId: string, type: AgentType, actor: AgentActor, err: unknown): void {
    if (actors.get(agentId) !== actor) return;
    actors.delete(agentId);
    const last = (actor.getSnapshot() as Partial<Snapshot>).context?.lifecycle ?? 'ACTIVE';
    rejectPendingOf(agentId, msError('INTERNAL', `agent ${agentId} crashed: ${(err as Error)?.message ?? String(err)}`, { cause: err, details: { agentId } }));
    effects.transition({ agentId, agentType: type.name, supervisorId, from: last, to: 'EXPIRED', reason: 'crashed' });
    expired.set(agentId, true);
    const history = recentCrashes(agentId);
    history.push(now());
    crashes.set(agentId, history);
    if (stopping) return;
    if (history.length > maxRestarts) {
      options.onRestart?.(agentId, { attempt: history.length, error: err, gaveUp: true });
      return;
    }
    const delay = backoffMs(history.length, { baseMs: restartBackoffMs, maxMs: 10_000 });
    const timer = clock.setTimeout(() => {
      restartTimers.delete(timer);
      if (stopping || actors.has(agentId)) return;
      options.onRestart?.(agentId, { attempt: history.length, error: err, gaveUp: false });
      spawn(agentId, type, true).send({ type: 'ACTIVATE', reason: 'restart' });
    }, delay);
    restartTimers.add(timer);
  }

  function send(agentId: string, type: AgentType, name: string, payload: unknown, commandId: string | undefined, base: CommandOptions['base']): Promise<CommandReply> {
    if (stopping) return Promise.reject(msError('CLOSED', `the agent host of ${supervisorId} is stopping`, { details: { agentId } }));
    if (!types.has(type.name)) return Promise.reject(msError('INVALID_ARGUMENT', `agent type ${type.name} is not registered with this host`, { details: { agentType: type.name } }));
    if (crashes.has(agentId) && recentCrashes(agentId).length > maxRestarts) {
      return Promise.reject(msError('INTERNAL', `agent ${agentId} crashed ${maxRestarts + 1} times within ${restartWindowMs} ms; it stays down until the window passes`, { details: { agentId } }));
    }
    let actor = actors.get(agentId);
    if (actor && actor.getSnapshot().context.agentType !== type.name) {
      return Promise.reject(msError('INVALID_ARGUMENT', `agent ${agentId} is a ${actor.getSnapshot().context.agentType}, not a ${type.name}`, { details: { agentId } }));
    }
    if (actor && name !== ACTIVATE && !isSystemCommand(name)) {
      // System commands (timer fires, resumes) always queue: they are retried until they run.
      const c = actor.getSnapshot().context;
      const admission = admitCommand(agentId, type.mailbox, c.queue.length, running.has(agentId));
      if (admission.kind === 'refuse') return Promise.reject(admission.error);
      if (admission.kind === 'interrupt') {
        actor.send({ type: 'DROP_QUEUED', error: interruptedError(agentId) });
        running.get(agentId)?.abort(interruptedError(agentId));
      }
    }
    actor ??= spawn(agentId, type, expired.has(agentId));
    const a = actor;
    return new Promise<CommandReply>((resolve, reject) => {
      const ticket = ++tickets;
      pending.set(ticket, { agentId, commandId, resolve, reject });
      a.send({ type: 'COMMAND', command: { ticket, name, payload, commandId, base } });
    });
  }

  function whenExpired(actor: AgentActor): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (s: Snapshot) => s.status !== 'active' || s.context.lifecycle === 'EXPIRED' || s.context.lifecycle === 'COLD';
      if (done(actor.getSnapshot())) { resolve(); return; }
      const sub = actor.subscribe({
        next: (s) => { if (done(s)) { sub.unsubscribe(); resolve(); } },
        error: () => resolve(),
        complete: () => resolve(),
      });
    });
  }

  const host: AgentHost = {
    command(agentId, type, name, payload, opts = {}) {
      if (name === ACTIVATE || (!type.hasCommand(name) && !isSystemCommand(name))) {
        return Promise.reject(msError('UNKNOWN_COMMAND', `agent type ${type.name} has no command ${JSON.stringify(name)}`, { details: { agentType: type.name, command: name } }));
      }
      if (opts.commandId !== undefined && (typeof opts.commandId !== 'string' || opts.commandId.length === 0 || opts.commandId.length > 256)) {
        return Promise.reject(msError('INVALID_ARGUMENT', 'a command id must be a string of 1 to 256 characters', { details: { agentId } }));
      }
      // Dedup happens where the command runs, against the agent's durable index (see the effects):
      // a retried id queues behind its first run and gets its recorded reply.
      return send(agentId, type, name, payload, opts.commandId ?? newId(), opts.base);
    },
    async activate(agentId, type) {
      if (isLive(host.lifecycleOf(agentId))) return;
      await send(agentId, type, ACTIVATE, undefined, undefined, undefined);
    },
    async passivate(agentId) {
      const actor = actors.get(agentId);
      if (!actor) return expired.has(agentId) ? 'EXPIRED' : undefined;
      const lifecycle = actor.getSnapshot().context.lifecycle;
      if (lifecycle === 'COLD' || lifecycle === 'EXPIRED') return lifecycle;
      actor.send({ type: 'STOP' });
      await whenExpired(actor);
      return host.lifecycleOf(agentId) ?? 'EXPIRED';
    },
    evict(agentId, reason, error) {
      actors.get(agentId)?.send({ type: 'EVICT', reason, error });
    },
    flushAll() {
      for (const a of actors.values()) a.send({ type: 'FLUSH' });
    },
    lifecycleOf(agentId) {
      const a = actors.get(agentId);
      if (a) return a.getSnapshot().context.lifecycle;
      return expired.has(agentId) ? 'EXPIRED' : undefined;
    },
    queueDepth(agentId) {
      const q = actors.get(agentId)?.getSnapshot().context.queue.length ?? 0;
      return Math.max(0, q - (running.has(agentId) ? 1 : 0));
    },
    stateOf(agentId) {
      const c = actors.get(agentId)?.getSnapshot().context;
      return c && isLive(c.lifecycle) ? c.state : undefined;
    },
    typeOf(agentId) {
      return actors.get(agentId)?.getSnapshot().context.agentType;
    },
    *residents(): IterableIterator<ResidentAgent> {
      for (const [agentId, a] of actors) {
        const c = a.getSnapshot().context;
        yield { agentId, agentType: c.agentType, lifecycle: c.lifecycle };
      }
    },
    counts() {
      const out: Record<LifecycleState, number> = { COLD: 0, HYDRATING: 0, ACTIVE: 0, FLUSHING: 0, EXPIRED: 0 };
      for (const a of actors.values()) out[a.getSnapshot().context.lifecycle]++;
      return out;
    },
    dirtyKeys() {
      let n = 0;
      for (const a of actors.values()) {
        const c = a.getSnapshot().context;
        n += c.dirtyKeys.length + c.flushingKeys.length;
      }
      return n;
    },
    get size() { return actors.size; },
    stop(opts = {}) {
      stopping ??= (async () => {
        for (const t of restartTimers) clock.clearTimeout(t);
        restartTimers.clear();
        const waits: Promise<void>[] = [];
        for (const actor of actors.values()) {
          const lifecycle = actor.getSnapshot().context.lifecycle;
          if (lifecycle === 'COLD' || lifecycle === 'EXPIRED') continue;
          actor.send({ type: 'SHUTDOWN' });
          waits.push(whenExpired(actor));
        }
        const timeoutMs = opts.timeoutMs ?? 30_000;
        let timer: unknown;
        const timedOut = await Promise.race([
          Promise.all(waits).then(() => false),
          new Promise<boolean>((r) => { timer = realClock.setTimeout(() => r(true), timeoutMs); }),
        ]);
        realClock.clearTimeout(timer);
        const left = [...actors].filter(([, a]) => isLive(a.getSnapshot().context.lifecycle) || a.getSnapshot().context.lifecycle === 'HYDRATING').map(([id]) => id);
        for (const a of actors.values()) a.stop();
        actors.clear();
        for (const [ticket, p] of pending) {
          pending.delete(ticket);
          p.reject(msError('CLOSED', `the agent host of ${supervisorId} stopped before the command ran`, { details: { agentId: p.agentId } }));
        }
        if (timedOut) {
          throw msError('TIMEOUT', `${left.length} agents did not finish their shutdown flush within ${timeoutMs} ms; their acknowledged writes are in JetStream`, { details: { agents: left.slice(0, 100) } });
        }
      })();
      return stopping;
    },
    [Symbol.asyncDispose]: () => host.stop(),
  };
  return host;
}
