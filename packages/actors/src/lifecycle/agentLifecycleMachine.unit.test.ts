import { MisterSmithError, msError } from '@mister-smith/core';
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { agentLifecycleMachine } from './agentLifecycleMachine.js';
import { backoffDelay } from './backoffDelay.js';
import type {
  CommandSettlement, ExecuteInput, ExecuteOutput, FlushInput, HydrateInput, HydrateOutput, LifecycleConfig, TransitionParams,
} from './lifecycleTypes.js';

const config: LifecycleConfig = {
  idleTtlMs: 10_000, hydrateRetries: 2, flushRetries: 2, backoffBaseMs: 100, backoffMaxMs: 1_000,
};

interface Deferred<T> { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void }
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** Lets resolved effect promises deliver their done/error events. */
const settle = () => new Promise<void>((r) => setImmediate(r));

interface Effects {
  hydrate?: (input: HydrateInput) => Promise<HydrateOutput>;
  execute?: (input: ExecuteInput) => Promise<ExecuteOutput>;
  flush?: (input: FlushInput) => Promise<unknown>;
}

/** The default effects: a counter whose commands set `cmd.payload` as key `k<ticket>`. */
function start(effects: Effects = {}, options: { startsExpired?: boolean; cfg?: Partial<LifecycleConfig> } = {}) {
  const transitions: TransitionParams[] = [];
  const settled: CommandSettlement[] = [];
  const hydrateCalls: HydrateInput[] = [];
  const flushCalls: FlushInput[] = [];
  const clock = new SimulatedClock();
  const machine = agentLifecycleMachine.provide({
    actors: {
      hydrate: fromPromise<HydrateOutput, HydrateInput>(({ input }) => {
        hydrateCalls.push(input);
        return effects.hydrate ? effects.hydrate(input) : Promise.resolve({ state: { n: 0 }, fenceSeq: 7 });
      }),
      execute: fromPromise<ExecuteOutput, ExecuteInput>(({ input }) => effects.execute
        ? effects.execute(input)
        : Promise.resolve({ state: { ...input.state, [`k${input.command.ticket}`]: input.command.payload }, fenceSeq: input.fenceSeq + 1, result: input.command.payload, changedKeys: [`k${input.command.ticket}`] })),
      flush: fromPromise<unknown, FlushInput>(({ input }) => {
        flushCalls.push(input);
        return effects.flush ? effects.flush(input) : Promise.resolve({ rows: 0 });
      }),
    },
    actions: {
      publishTransition: (_a, p) => { transitions.push(p); },
      settleCommand: (_a, p) => { settled.push(p); },
    },
  });
  const actor = createActor(machine, {
    input: { agentId: 'a1', agentType: 'counter', supervisorId: 's1', config: { ...config, ...options.cfg }, ...(options.startsExpired ? { startsExpired: true } : {}) },
    clock,
  });
  actor.start();
  let ticket = 0;
  const command = (payload: unknown = 1, name = 'set') => {
    const t = ++ticket;
    actor.send({ type: 'COMMAND', command: { ticket: t, name, payload } });
    return t;
  };
  const lifecycle = () => actor.getSnapshot().context.lifecycle;
  const path = () => transitions.map((t) => `${t.from}>${t.to}:${t.reason}`);
  return { actor, clock, transitions, settled, hydrateCalls, flushCalls, command, lifecycle, path };
}

describe('agentLifecycleMachine', () => {
  it('stays COLD until first use, then hydrates to ACTIVE with the fencing token', async () => {
    const h = start();
    expect(h.lifecycle()).toBe('COLD');
    expect(h.transitions).toEqual([]);
    h.actor.send({ type: 'ACTIVATE' });
    expect(h.lifecycle()).toBe('HYDRATING');
    await settle();
    expect(h.lifecycle()).toBe('ACTIVE');
    expect(h.path()).toEqual(['COLD>HYDRATING:activate', 'HYDRATING>ACTIVE:hydrated']);
    expect(h.actor.getSnapshot().context).toMatchObject({ state: { n: 0 }, fenceSeq: 7 });
  });

  it('activates on a command to a COLD agent, queues it during hydration and runs it after', async () => {
    const hyd = deferred<HydrateOutput>();
    const h = start({ hydrate: () => hyd.promise });
    const t = h.command(5);
    expect(h.lifecycle()).toBe('HYDRATING');
    await settle();
    expect(h.settled).toEqual([]);
    hyd.resolve({ state: { n: 1 }, fenceSeq: 3 });
    await settle();
    expect(h.settled).toEqual([{ ticket: t, ok: true, output: expect.objectContaining({ result: 5, fenceSeq: 4 }) }]);
    expect(h.actor.getSnapshot().context).toMatchObject({ state: { n: 1, k1: 5 }, fenceSeq: 4, dirtyKeys: ['k1'] });
    expect(h.path()).toEqual(['COLD>HYDRATING:command', 'HYDRATING>ACTIVE:hydrated']);
  });

  it('runs commands one at a time, in order, each against the state the previous one produced', async () => {
    const seen: number[] = [];
    const gates: Deferred<void>[] = [];
    const h = start({
      execute: async (input) => {
        seen.push(input.fenceSeq);
        const g = deferred<void>();
        gates.push(g);
        await g.promise;
        return { state: { n: Number(input.state.n) + 1 }, fenceSeq: input.fenceSeq + 1, result: input.command.ticket, changedKeys: ['n'] };
      },
    });
    h.command(); h.command(); h.command();
    await settle();
    expect(gates).toHaveLength(1);
    gates[0]!.resolve();
    await settle();
    expect(gates).toHaveLength(2);
    gates[1]!.resolve();
    await settle();
    gates[2]!.resolve();
    await settle();
    expect(seen).toEqual([7, 8, 9]);
    expect(h.settled.map((s) => s.ok && s.output.result)).toEqual([1, 2, 3]);
    expect(h.actor.getSnapshot().context.state).toEqual({ n: 3 });
  });

  it('retries a failed hydration with exponential backoff on the clock, then goes ACTIVE', async () => {
    let calls = 0;
    const h = start({ hydrate: async () => { if (++calls <= 2) throw msError('NATS_UNAVAILABLE', 'down'); return { state: {}, fenceSeq: 1 }; } });
    h.actor.send({ type: 'ACTIVATE' });
    await settle();
    expect(calls).toBe(1);
    h.clock.increment(99);
    await settle();
    expect(calls).toBe(1);
    h.clock.increment(1);
    await settle();
    expect(calls).toBe(2);
    h.clock.increment(199);
    await settle();
    expect(calls).toBe(2);
    h.clock.increment(1);
    await settle();
    expect(calls).toBe(3);
    expect(h.lifecycle()).toBe('ACTIVE');
    expect(h.hydrateCalls.map((c) => c.attempt)).toEqual([0, 1, 2]);
  });

  it('gives up hydrating after the bounded retries: EXPIRED with the reason, queued commands answered', async () => {
    const h = start({ hydrate: () => Promise.reject(msError('POSTGRES_UNAVAILABLE', 'pg down')) });
    const t = h.command();
    await settle();
    h.clock.increment(100);
    await settle();
    h.clock.increment(200);
    await settle();
    expect(h.lifecycle()).toBe('EXPIRED');
    expect(h.path()).toEqual(['COLD>HYDRATING:command', 'HYDRATING>EXPIRED:hydrate-failed']);
    expect(h.settled).toHaveLength(1);
    const s = h.settled[0]!;
    expect(s.ticket).toBe(t);
    expect(!s.ok && MisterSmithError.is(s.error, 'POSTGRES_UNAVAILABLE')).toBe(true);
    expect(h.actor.getSnapshot().context.queue).toEqual([]);
  });

  it('does not retry when another supervisor owns the agent (NOT_OWNER)', async () => {
    const h = start({ hydrate: () => Promise.reject(msError('NOT_OWNER', 'owned by s2')) });
    h.command();
    await settle();
    expect(h.hydrateCalls).toHaveLength(1);
    expect(h.path()).toEqual(['COLD>HYDRATING:command', 'HYDRATING>EXPIRED:not-owner']);
    expect(h.settled[0]?.ok).toBe(false);
  });

  it('leaves threshold and interval flushes to the state store: dirty keys start no flush and no lifecycle change', async () => {
    const h = start();
    for (let i = 0; i < 60; i++) h.command();
    await settle();
    h.clock.increment(9_000);
    await settle();
    expect(h.flushCalls).toHaveLength(0);
    expect(h.lifecycle()).toBe('ACTIVE');
    expect(h.path()).toEqual(['COLD>HYDRATING:command', 'HYDRATING>ACTIVE:hydrated']);
  });

  it('keeps serving commands during a manual flush, which is no lifecycle change', async () => {
    const fl = deferred<unknown>();
    const h = start({ flush: () => fl.promise });
    h.command();
    await settle();
    h.actor.send({ type: 'FLUSH' });
    expect(h.flushCalls).toEqual([expect.objectContaining({ reason: 'manual' })]);
    const t = h.command(42);
    await settle();
    expect(h.settled.find((s) => s.ticket === t)).toMatchObject({ ok: true, output: { result: 42 } });
    fl.resolve({});
    await settle();
    expect(h.lifecycle()).toBe('ACTIVE');
    expect(h.path()).toEqual(['COLD>HYDRATING:command', 'HYDRATING>ACTIVE:hydrated']);
    // The key written during the flush is still dirty, for the next flush.
    expect(h.actor.getSnapshot().context.dirtyKeys).toEqual(['k2']);
  });

  it('passivates after the idle TTL: a guaranteed flush, then EXPIRED, state released', async () => {
    const h = start();
    h.actor.send({ type: 'ACTIVATE' });
    await settle();
    h.clock.increment(9_999);
    await settle();
    expect(h.lifecycle()).toBe('ACTIVE');
    h.clock.increment(1);
    await settle();
    expect(h.flushCalls).toEqual([expect.objectContaining({ reason: 'idle' })]);
    expect(h.lifecycle()).toBe('EXPIRED');
    expect(h.path().slice(2)).toEqual(['ACTIVE>FLUSHING:idle', 'FLUSHING>EXPIRED:idle']);
    expect(h.actor.getSnapshot().context.state).toBeUndefined();
  });

  it('restarts the idle timer on every command', async () => {
    const h = start();
    h.command();
    await settle();
    h.clock.increment(900);
    await settle();
    h.clock.increment(8_000);
    h.command();
    await settle();
    h.clock.increment(9_000);
    await settle();
    expect(h.lifecycle()).not.toBe('EXPIRED');
    h.clock.increment(1_000);
    await settle();
    expect(h.lifecycle()).toBe('EXPIRED');
  });

  it('goes back to ACTIVE when a command arrives during the passivation flush', async () => {
    const fl = deferred<unknown>();
    const h = start({ flush: () => fl.promise });
    h.actor.send({ type: 'ACTIVATE' });
    await settle();
    h.clock.increment(10_000);
    await settle();
    expect(h.lifecycle()).toBe('FLUSHING');
    const t = h.command(9);
    await settle();
    fl.resolve({});
    await settle();
    expect(h.lifecycle()).toBe('ACTIVE');
    expect(h.settled.find((s) => s.ticket === t)?.ok).toBe(true);
    expect(h.path().slice(2)).toEqual(['ACTIVE>FLUSHING:idle', 'FLUSHING>ACTIVE:flushed']);
  });

  it('retries a failed flush with backoff and recovers', async () => {
    let calls = 0;
    const h = start({ flush: async () => { if (++calls === 1) throw msError('POSTGRES_UNAVAILABLE', 'blip'); return {}; } });
    h.command();
    await settle();
    h.actor.send({ type: 'FLUSH' });
    await settle();
    expect(calls).toBe(1);
    h.clock.increment(100);
    await settle();
    expect(calls).toBe(2);
    expect(h.lifecycle()).toBe('ACTIVE');
    expect(h.flushCalls.map((f) => f.attempt)).toEqual([0, 1]);
  });

  it('gives up a failing flush after the bounded retries: EXPIRED flush-failed once the running command ends', async () => {
    const ex = deferred<ExecuteOutput>();
    let executes = 0;
    const h = start({
      flush: () => Promise.reject(msError('POSTGRES_UNAVAILABLE', 'pg down')),
      execute: (input) => (++executes === 2 ? ex.promise : Promise.resolve({ state: input.state, fenceSeq: input.fenceSeq + 1, result: null, changedKeys: ['x'] })),
    });
    h.command();
    await settle();
    h.actor.send({ type: 'FLUSH' });
    const running = h.command();
    const queued = h.command();
    await settle();
    h.clock.increment(100);
    await settle();
    h.clock.increment(200);
    await settle();
    // Out of retries, but a command is still running: the agent waits for it.
    expect(h.lifecycle()).toBe('ACTIVE');
    ex.resolve({ state: { n: 5 }, fenceSeq: 99, result: 'done', changedKeys: ['n'] });
    await settle();
    expect(h.lifecycle()).toBe('EXPIRED');
    expect(h.path().at(-1)).toBe('ACTIVE>EXPIRED:flush-failed');
    expect(h.settled.find((s) => s.ticket === running)).toMatchObject({ ok: true, output: { result: 'done' } });
    const q = h.settled.find((s) => s.ticket === queued);
    expect(q && !q.ok && MisterSmithError.is(q.error, 'POSTGRES_UNAVAILABLE')).toBe(true);
  });

  it('re-hydrates an EXPIRED agent on the next command', async () => {
    const h = start();
    h.actor.send({ type: 'ACTIVATE' });
    await settle();
    h.actor.send({ type: 'STOP' });
    await settle();
    expect(h.lifecycle()).toBe('EXPIRED');
    const t = h.command(3);
    await settle();
    expect(h.lifecycle()).toBe('ACTIVE');
    expect(h.settled.find((s) => s.ticket === t)?.ok).toBe(true);
    expect(h.path()).toEqual([
      'COLD>HYDRATING:activate', 'HYDRATING>ACTIVE:hydrated', 'ACTIVE>FLUSHING:stop', 'FLUSHING>EXPIRED:stop',
      'EXPIRED>HYDRATING:command', 'HYDRATING>ACTIVE:hydrated',
    ]);
  });

  it('starts EXPIRED when the host knows the agent was passivated before', async () => {
    const h = start({}, { startsExpired: true });
    expect(h.lifecycle()).toBe('EXPIRED');
    h.command();
    await settle();
    expect(h.path()).toEqual(['EXPIRED>HYDRATING:command', 'HYDRATING>ACTIVE:hydrated']);
  });

  it('on shutdown runs the queued commands, flushes, then expires', async () => {
    const h = start();
    h.actor.send({ type: 'ACTIVATE' });
    await settle();
    const t = h.command();
    h.actor.send({ type: 'SHUTDOWN' });
    await settle();
    expect(h.settled.find((s) => s.ticket === t)?.ok).toBe(true);
    expect(h.flushCalls).toEqual([expect.objectContaining({ reason: 'shutdown' })]);
    expect(h.path().slice(2)).toEqual(['ACTIVE>FLUSHING:shutdown', 'FLUSHING>EXPIRED:shutdown']);
  });

  it('honours a stop requested while hydrating once the state is loaded', async () => {
    const hyd = deferred<HydrateOutput>();
    const h = start({ hydrate: () => hyd.promise });
    const t = h.command();
    h.actor.send({ type: 'STOP' });
    hyd.resolve({ state: {}, fenceSeq: 1 });
    await settle();
    expect(h.settled.find((s) => s.ticket === t)?.ok).toBe(true);
    expect(h.lifecycle()).toBe('EXPIRED');
    expect(h.path()).toEqual(['COLD>HYDRATING:command', 'HYDRATING>ACTIVE:hydrated', 'ACTIVE>FLUSHING:stop', 'FLUSHING>EXPIRED:stop']);
  });

  it('answers a failing command with its error and keeps serving', async () => {
    let n = 0;
    const h = start({
      execute: async (input) => {
        if (++n === 1) throw msError('HANDLER_FAILED', 'boom');
        return { state: input.state, fenceSeq: input.fenceSeq, result: 'ok', changedKeys: [] };
      },
    });
    const a = h.command();
    const b = h.command();
    await settle();
    const sa = h.settled.find((s) => s.ticket === a);
    expect(sa && !sa.ok && MisterSmithError.is(sa.error, 'HANDLER_FAILED')).toBe(true);
    expect(h.settled.find((s) => s.ticket === b)?.ok).toBe(true);
    expect(h.lifecycle()).toBe('ACTIVE');
  });

  it('expires as a stale owner on STALE_OWNER and rejects what is queued', async () => {
    const ex = deferred<ExecuteOutput>();
    const h = start({ execute: () => ex.promise });
    const a = h.command();
    const b = h.command();
    await settle();
    ex.reject(msError('STALE_OWNER', 's2 took over'));
    await settle();
    expect(h.lifecycle()).toBe('EXPIRED');
    expect(h.path().at(-1)).toBe('ACTIVE>EXPIRED:stale-owner');
    for (const t of [a, b]) {
      const s = h.settled.find((x) => x.ticket === t);
      expect(s && !s.ok && MisterSmithError.is(s.error, 'STALE_OWNER')).toBe(true);
    }
  });

  it('on EVICT lets the running command finish, then expires and rejects the rest', async () => {
    const ex = deferred<ExecuteOutput>();
    const h = start({ execute: () => ex.promise });
    const a = h.command();
    const b = h.command();
    await settle();
    h.actor.send({ type: 'EVICT', reason: 'lease-lost', error: msError('NOT_OWNER', 'lease lost') });
    await settle();
    expect(h.lifecycle()).toBe('ACTIVE');
    ex.resolve({ state: {}, fenceSeq: 8, result: 'a', changedKeys: [] });
    await settle();
    expect(h.lifecycle()).toBe('EXPIRED');
    expect(h.path().at(-1)).toBe('ACTIVE>EXPIRED:lease-lost');
    expect(h.settled.find((s) => s.ticket === a)?.ok).toBe(true);
    const sb = h.settled.find((s) => s.ticket === b);
    expect(sb && !sb.ok && MisterSmithError.is(sb.error, 'NOT_OWNER')).toBe(true);
  });

  it('publishes every transition with from = the previous lifecycle state', async () => {
    const h = start();
    h.command();
    await settle();
    h.actor.send({ type: 'FLUSH' });
    await settle();
    h.actor.send({ type: 'SHUTDOWN' });
    await settle();
    const states = h.transitions.map((t) => [t.from, t.to]);
    for (let i = 1; i < states.length; i++) expect(states[i]![0]).toBe(states[i - 1]![1]);
    expect(h.transitions.at(-1)?.to).toBe('EXPIRED');
  });
});

describe('backoffDelay', () => {
  it('doubles from the base and caps at the maximum', () => {
    const c = { backoffBaseMs: 100, backoffMaxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffDelay(c, n))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
});
