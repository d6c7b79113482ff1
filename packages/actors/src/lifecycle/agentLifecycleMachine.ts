import { MisterSmithError, msError, type LifecycleState } from '@mister-smith/core';
import { and, assign, enqueueActions, fromPromise, setup, stateIn } from 'xstate';
import { backoffDelay } from './backoffDelay.js';
import type {
  AgentLifecycleContext, AgentLifecycleEvent, AgentLifecycleInput, CommandSettlement, ExecuteInput, ExecuteOutput,
  FlushInput, FlushOutput, FlushReason, HydrateInput, HydrateOutput, PassivationReason, QueuedCommand, TransitionParams,
} from './lifecycleTypes.js';

const NONE: readonly never[] = Object.freeze([]);

function notProvided(name: string): () => Promise<never> {
  return () => Promise.reject(msError('INTERNAL', `the lifecycle machine's ${name} actor was not provided (use machine.provide)`));
}

/** Errors that no retry can fix: the agent gives up at once. */
function isFatal(error: unknown): boolean {
  return ['NOT_OWNER', 'STALE_OWNER', 'INVALID_ID', 'INVALID_KEY', 'INVALID_ARGUMENT', 'UNKNOWN_AGENT', 'CLOSED', 'CORRUPT_ENTRY']
    .some((code) => MisterSmithError.is(error, code as never));
}

/** Why hydration gave up, as the lifecycle reason. */
function hydrateFailureReason(error: unknown): string {
  if (MisterSmithError.is(error, 'NOT_OWNER')) return 'not-owner';
  return 'hydrate-failed';
}

function errorOf(event: unknown): unknown {
  return (event as { error?: unknown }).error;
}

function union(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out = [...a];
  for (const k of b) if (!out.includes(k)) out.push(k);
  return out;
}

type Args = { context: AgentLifecycleContext; event: unknown };

/** Publishes `context.lifecycle -> to`, then records `to` (two named actions, in this order). */
function moveTo(to: LifecycleState, reason: string | ((a: Args) => string)) {
  return [
    { type: 'publishTransition', params: ({ context, event }: Args): TransitionParams => ({ from: context.lifecycle, to, reason: typeof reason === 'string' ? reason : reason({ context, event }) }) },
    { type: 'setLifecycle', params: { to } },
  ] as const;
}

/**
 * The agent lifecycle: COLD -> HYDRATING -> ACTIVE <-> FLUSHING -> EXPIRED (-> HYDRATING again).
 *
 * Pure: the effects are the injected actors `hydrate` (take ownership and load state),
 * `execute` (run one command and persist it) and `flush` (write dirty state to PostgreSQL), and
 * the injected actions `publishTransition` (every lifecycle change) and `settleCommand` (answer
 * a command's caller). Provide them with `agentLifecycleMachine.provide({ actors, actions })`.
 *
 * While ACTIVE the machine is a parallel state: `work` runs queued commands one at a time,
 * `flush` flushes on passivation or shutdown (lifecycle FLUSHING) and on a manual `FLUSH` (no
 * lifecycle change) without blocking `work`, and `activity` passivates the agent after `idleTtlMs`
 * without commands. Threshold and interval flushes belong to the state store, the one flush owner.
 * Failed hydrations and flushes retry with exponential backoff, then give up to EXPIRED with the
 * reason; an EXPIRED agent re-hydrates on the next command.
 */
export const agentLifecycleMachine = setup({
  types: {
    context: {} as AgentLifecycleContext,
    events: {} as AgentLifecycleEvent,
    input: {} as AgentLifecycleInput,
  },
  actors: {
    hydrate: fromPromise<HydrateOutput, HydrateInput>(notProvided('hydrate')),
    execute: fromPromise<ExecuteOutput, ExecuteInput>(notProvided('execute')),
    flush: fromPromise<FlushOutput, FlushInput>(notProvided('flush')),
  },
  actions: {
    publishTransition: (_args, _params: TransitionParams) => undefined,
    settleCommand: (_args, _params: CommandSettlement) => undefined,
    setLifecycle: assign((_args, params: { to: LifecycleState }) => ({ lifecycle: params.to })),
    enqueue: assign(({ context, event }) => (event.type === 'COMMAND' ? { queue: [...context.queue, event.command] } : {})),
    markEvict: assign((_args, params: { reason: string; error: unknown }) => ({ evict: { reason: params.reason, error: params.error } })),
    resetAfterExpiry: assign({
      state: undefined, fenceSeq: 0, queue: NONE, dirtyKeys: NONE, flushingKeys: NONE, flushReason: undefined,
      passivation: undefined, stopReason: undefined, evict: undefined, hydrateAttempts: 0, flushAttempts: 0,
    }),
  },
  guards: {
    startsExpired: ({ context }) => context.lifecycle === 'EXPIRED',
    canRetryHydrate: ({ context, event }) => context.hydrateAttempts < context.config.hydrateRetries && !isFatal(errorOf(event)),
    canRetryFlush: ({ context, event }) => context.flushAttempts < context.config.flushRetries && !isFatal(errorOf(event)),
    stopRequested: ({ context }) => context.stopReason !== undefined,
    canExecute: ({ context }) => context.queue.length > 0 && context.evict === undefined,
    isStaleOwner: ({ event }) => MisterSmithError.is(errorOf(event), 'STALE_OWNER'),
    isDirty: ({ context }) => context.dirtyKeys.length > 0,
    isFlushingLifecycle: ({ context }) => context.lifecycle === 'FLUSHING',
    passivationDue: ({ context }) => context.passivation !== undefined && context.queue.length === 0 && context.evict === undefined,
    readyToExpire: ({ context }) => context.passivation !== undefined && context.queue.length === 0 && context.dirtyKeys.length === 0 && context.evict === undefined,
    hasEvict: ({ context }) => context.evict !== undefined,
    // The executing command stays at the head of the queue, so the work region tells whether one runs.
    evictNow: and(['hasEvict', stateIn('#agent.live.work.ready')]),
  },
  delays: {
    idleTtl: ({ context }) => context.config.idleTtlMs,
    hydrateBackoff: ({ context }) => backoffDelay(context.config, context.hydrateAttempts),
    flushBackoff: ({ context }) => backoffDelay(context.config, context.flushAttempts),
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => ({
    agentId: input.agentId,
    agentType: input.agentType,
    supervisorId: input.supervisorId,
    config: input.config,
    lifecycle: input.startsExpired ? 'EXPIRED' : 'COLD',
    state: undefined,
    fenceSeq: 0,
    queue: NONE,
    dirtyKeys: NONE,
    flushingKeys: NONE,
    hydrateAttempts: 0,
    flushAttempts: 0,
    flushReason: undefined,
    passivation: undefined,
    stopReason: undefined,
    evict: undefined,
  }),
  initial: 'boot',
  on: {
    // Mailbox policy `interrupt`: commands waiting behind the head fail; the head (running or next) stays.
    DROP_QUEUED: {
      actions: [
        enqueueActions(({ context, event, enqueue }) => {
          for (const c of context.queue.slice(1)) enqueue({ type: 'settleCommand', params: { ticket: c.ticket, ok: false, error: (event as { error: unknown }).error } });
        }),
        assign(({ context }) => (context.queue.length > 1 ? { queue: context.queue.slice(0, 1) } : {})),
      ],
    },
  },
  states: {
    boot: {
      always: [{ guard: 'startsExpired', target: 'expired' }, { target: 'cold' }],
    },
    cold: {
      on: {
        ACTIVATE: { target: 'hydrating', actions: [...moveTo('HYDRATING', ({ event }) => (event as { reason?: string }).reason ?? 'activate')] },
        COMMAND: { target: 'hydrating', actions: ['enqueue', ...moveTo('HYDRATING', 'command')] },
      },
    },
    hydrating: {
      entry: assign({ hydrateAttempts: 0 }),
      initial: 'loading',
      on: {
        COMMAND: { actions: 'enqueue' },
        STOP: { actions: assign({ stopReason: ({ context }) => context.stopReason ?? 'stop' }) },
        SHUTDOWN: { actions: assign({ stopReason: 'shutdown' }) },
        EVICT: { actions: { type: 'markEvict', params: ({ event }) => ({ reason: event.reason, error: event.error }) } },
      },
      states: {
        loading: {
          invoke: {
            src: 'hydrate',
            input: ({ context }) => ({ agentId: context.agentId, agentType: context.agentType, attempt: context.hydrateAttempts }),
            onDone: {
              target: '#agent.live',
              actions: [assign({ state: ({ event }) => event.output.state, fenceSeq: ({ event }) => event.output.fenceSeq }), ...moveTo('ACTIVE', 'hydrated')],
            },
            onError: [
              { guard: 'canRetryHydrate', target: 'backoff', actions: assign({ hydrateAttempts: ({ context }) => context.hydrateAttempts + 1 }) },
              {
                target: '#agent.expired',
                actions: [
                  ...moveTo('EXPIRED', ({ event }) => hydrateFailureReason(errorOf(event))),
                  enqueueActions(({ context, event, enqueue }) => {
                    for (const c of context.queue) enqueue({ type: 'settleCommand', params: { ticket: c.ticket, ok: false, error: errorOf(event) } });
                  }),
                ],
              },
            ],
          },
        },
        backoff: { after: { hydrateBackoff: 'loading' } },
      },
    },
    live: {
      type: 'parallel',
      always: {
        guard: 'evictNow',
        target: 'expired',
        actions: [
          ...moveTo('EXPIRED', ({ context }) => context.evict?.reason ?? 'evicted'),
          enqueueActions(({ context, enqueue }) => {
            for (const c of context.queue) enqueue({ type: 'settleCommand', params: { ticket: c.ticket, ok: false, error: context.evict?.error } });
          }),
        ],
      },
      on: {
        EVICT: { actions: { type: 'markEvict', params: ({ event }) => ({ reason: event.reason, error: event.error }) } },
      },
      states: {
        work: {
          initial: 'ready',
          on: { COMMAND: { actions: 'enqueue' } },
          states: {
            ready: { always: { guard: 'canExecute', target: 'executing' } },
            executing: {
              invoke: {
                src: 'execute',
                input: ({ context }) => ({
                  agentId: context.agentId, agentType: context.agentType, state: context.state ?? {}, fenceSeq: context.fenceSeq, command: context.queue[0] as QueuedCommand,
                }),
                onDone: {
                  target: 'ready',
                  actions: [
                    { type: 'settleCommand', params: ({ context, event }) => ({ ticket: (context.queue[0] as QueuedCommand).ticket, ok: true as const, output: event.output }) },
                    assign(({ context, event }) => ({
                      state: event.output.state,
                      fenceSeq: event.output.fenceSeq,
                      dirtyKeys: union(context.dirtyKeys, event.output.changedKeys),
                      queue: context.queue.length === 1 ? NONE : context.queue.slice(1),
                    })),
                  ],
                },
                onError: [
                  {
                    guard: 'isStaleOwner',
                    target: 'ready',
                    actions: [
                      { type: 'settleCommand', params: ({ context, event }) => ({ ticket: (context.queue[0] as QueuedCommand).ticket, ok: false as const, error: event.error }) },
                      assign(({ context }) => ({ queue: context.queue.slice(1) })),
                      { type: 'markEvict', params: ({ event }) => ({ reason: 'stale-owner', error: event.error }) },
                    ],
                  },
                  {
                    target: 'ready',
                    actions: [
                      { type: 'settleCommand', params: ({ context, event }) => ({ ticket: (context.queue[0] as QueuedCommand).ticket, ok: false as const, error: event.error }) },
                      assign(({ context }) => ({ queue: context.queue.length === 1 ? NONE : context.queue.slice(1) })),
                    ],
                  },
                ],
              },
            },
          },
        },
        flush: {
          initial: 'clean',
          states: {
            clean: {
              always: [
                { guard: 'passivationDue', target: 'flushing', actions: assign({ flushReason: ({ context }): FlushReason => context.passivation as PassivationReason }) },
                { guard: 'isDirty', target: 'dirty' },
              ],
              on: { FLUSH: { target: 'flushing', actions: assign({ flushReason: 'manual' as FlushReason }) } },
            },
            dirty: {
              always: [
                { guard: 'passivationDue', target: 'flushing', actions: assign({ flushReason: ({ context }): FlushReason => context.passivation as PassivationReason }) },
              ],
              on: { FLUSH: { target: 'flushing', actions: assign({ flushReason: 'manual' as FlushReason }) } },
            },
            flushing: {
              entry: [
                // Only passivation is a lifecycle step; a manual flush is not announced.
                enqueueActions(({ context, enqueue }) => {
                  if (context.flushReason === undefined || context.flushReason === 'manual') return;
                  enqueue({ type: 'publishTransition', params: { from: context.lifecycle, to: 'FLUSHING', reason: context.flushReason } });
                  enqueue({ type: 'setLifecycle', params: { to: 'FLUSHING' } });
                }),
                assign(({ context }) => ({ flushingKeys: context.dirtyKeys, dirtyKeys: NONE, flushAttempts: 0 })),
              ],
              initial: 'running',
              states: {
                running: {
                  invoke: {
                    src: 'flush',
                    input: ({ context }) => ({
                      agentId: context.agentId, agentType: context.agentType, reason: context.flushReason ?? 'manual', attempt: context.flushAttempts,
                    }),
                    onDone: [
                      {
                        guard: 'readyToExpire',
                        target: '#agent.expired',
                        actions: [...moveTo('EXPIRED', ({ context }) => context.passivation ?? 'idle')],
                      },
                      {
                        guard: 'isFlushingLifecycle',
                        target: '#agent.live.flush.clean',
                        actions: [...moveTo('ACTIVE', 'flushed'), assign({ flushingKeys: NONE, flushReason: undefined })],
                      },
                      { target: '#agent.live.flush.clean', actions: assign({ flushingKeys: NONE, flushReason: undefined }) },
                    ],
                    onError: [
                      { guard: 'canRetryFlush', target: 'backoff', actions: assign({ flushAttempts: ({ context }) => context.flushAttempts + 1 }) },
                      {
                        target: '#agent.live.flush.failed',
                        actions: [
                          assign(({ context }) => ({ dirtyKeys: union(context.flushingKeys, context.dirtyKeys), flushingKeys: NONE })),
                          { type: 'markEvict', params: ({ event }) => ({ reason: 'flush-failed', error: event.error }) },
                        ],
                      },
                    ],
                  },
                },
                backoff: { after: { flushBackoff: 'running' } },
              },
            },
            failed: {},
          },
        },
        activity: {
          initial: 'init',
          on: {
            STOP: { target: '.stopping', actions: assign({ stopReason: ({ context }) => (context.stopReason === 'shutdown' ? 'shutdown' : 'stop'), passivation: ({ context }) => (context.stopReason === 'shutdown' ? 'shutdown' : 'stop') }) },
            SHUTDOWN: { target: '.stopping', actions: assign({ stopReason: 'shutdown', passivation: 'shutdown' }) },
          },
          states: {
            init: { always: [{ guard: 'stopRequested', target: 'stopping' }, { target: 'awake' }] },
            awake: {
              entry: assign({ passivation: undefined }),
              after: { idleTtl: 'drowsy' },
              on: { COMMAND: { target: 'awake', reenter: true } },
            },
            drowsy: {
              entry: assign({ passivation: 'idle' as PassivationReason }),
              on: { COMMAND: 'awake' },
            },
            stopping: {
              entry: assign({ passivation: ({ context }) => context.stopReason ?? 'stop' }),
            },
          },
        },
      },
    },
    expired: {
      entry: 'resetAfterExpiry',
      on: {
        ACTIVATE: { target: 'hydrating', actions: [...moveTo('HYDRATING', ({ event }) => (event as { reason?: string }).reason ?? 'activate')] },
        COMMAND: { target: 'hydrating', actions: ['enqueue', ...moveTo('HYDRATING', 'command')] },
      },
    },
  },
});

/** The lifecycle machine's type (for `createActor`, `provide` and snapshots). */
export type AgentLifecycleMachine = typeof agentLifecycleMachine;
