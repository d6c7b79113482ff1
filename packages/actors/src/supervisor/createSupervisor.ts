import { randomBytes } from 'node:crypto';
import {
  assertAgentId, assertStateKey, assertSubjectToken, createStateStore, JetStreamEventLog, JetStreamKvStore, LIFECYCLE_STATES, loadCommandResultsOf,
  MisterSmithError, msError, newId, silentLogger, type CommandResult, type LifecycleState,
} from '@mister-smith/core';
import { KeyBatcher } from '@mister-smith/core/util';
import type { Msg, Subscription } from '@nats-io/nats-core';
import type { AgentType } from '../agentTypes/AgentType.js';
import type { CommandReply } from '../host/AgentHost.js';
import { createAgentHost } from '../host/createAgentHost.js';
import { createLeaseManager } from '../leases/createLeaseManager.js';
import type { LifecycleConfig } from '../lifecycle/lifecycleTypes.js';
import { errorReply, okReply, parseRequest, unwrapReply } from '../rpc/rpcEnvelope.js';
import { readAgentAt } from '../history/readAgentAt.js';
import { createSnapshotter, DEFAULT_SNAPSHOT_EVERY } from '../history/createSnapshotter.js';
import { createAgentRuntime } from '../runtime/createAgentRuntime.js';
import { runtimeOf, userStateOf } from '../runtime/RuntimeState.js';
import { isSystemCommand, SYSTEM_COMMANDS } from '../runtime/systemCommands.js';
import { createAgentRegistry } from './createAgentRegistry.js';
import { createStoreEffects } from './createStoreEffects.js';
import { createTransitionPublisher } from './createTransitionPublisher.js';
import { lastStateEvent } from './lastStateEvent.js';
import { isUnreachable, ownerSubject, type OwnerRequest } from './ownerRpc.js';
import { startHeartbeats } from './startHeartbeats.js';
import type { AgentListing, AgentView, ForkResult, RestoreResult, SpawnResult, Supervisor, SupervisorCommandOptions, SupervisorOptions } from './Supervisor.js';

const MAX_ROUTES = 4;
const STATES: ReadonlySet<string> = new Set(LIFECYCLE_STATES);
const live = (l: LifecycleState | undefined) => l === 'ACTIVE' || l === 'FLUSHING' || l === 'HYDRATING';
const encoder = new TextEncoder();

/**
 * Starts a supervisor: agent actors on demand, single-writer leases, request forwarding between
 * supervisors, heartbeats, and a registry row per spawned agent.
 *
 * @example
 * await using sup = await createSupervisor({ nats, pg, topology, agentTypes: [counterAgent] });
 * const { agentId } = await sup.spawn('counter');
 * await sup.command(agentId, 'increment', { by: 2 });
 */
export async function createSupervisor(options: SupervisorOptions): Promise<Supervisor> {
  const { nats, pg, topology } = options;
  const supervisorId = assertSubjectToken(options.supervisorId ?? `sup-${randomBytes(4).toString('hex')}`, 'supervisor id');
  const logger = (options.logger ?? silentLogger()).child({ supervisorId });
  const observer = options.observer ?? {};
  const types = new Map<string, AgentType>();
  for (const t of options.agentTypes) {
    if (types.has(t.name)) throw msError('INVALID_ARGUMENT', `agent type ${t.name} is given twice`);
    types.set(t.name, t);
  }
  const leaseSpec = topology.buckets.agentLeases;
  const leaseTtlMs = options.leaseTtlMs ?? leaseSpec.ttlSeconds * 1000;
  if (leaseTtlMs !== leaseSpec.ttlSeconds * 1000) {
    logger.warn({ leaseTtlMs, bucketTtlMs: leaseSpec.ttlSeconds * 1000 }, 'leaseTtlMs differs from the AGENT_LEASES bucket TTL, which is what expires leases');
  }
  const kvTtlMs = topology.buckets.agentState.ttlSeconds * 1000;
  const defaultIdleTtlMs = options.defaultIdleTtlMs ?? (kvTtlMs > 0 ? Math.floor(kvTtlMs / 3) : 600_000);
  const lifecycleOf = (type: AgentType): LifecycleConfig => {
    const idleTtlMs = type.idleTtlMs ?? defaultIdleTtlMs;
    if (kvTtlMs > 0 && idleTtlMs > kvTtlMs / 3) {
      logger.warn({ agentType: type.name, idleTtlMs, kvTtlMs }, 'idle TTL over a third of the AGENT_STATE KV TTL: idle agents outlive their KV entries and read through to PostgreSQL');
    }
    return {
      idleTtlMs,
      hydrateRetries: options.hydrateRetries ?? 4, flushRetries: options.flushRetries ?? 4,
      backoffBaseMs: options.backoffBaseMs ?? 100, backoffMaxMs: options.backoffMaxMs ?? 5_000,
    };
  };

  const ownStore = options.stateStore === undefined;
  const store = options.stateStore ?? await createStateStore({ nats, pg, topology, logger }, { writerId: supervisorId, ...options.stateStoreOptions });
  const cleanup: (() => Promise<void>)[] = [];
  if (ownStore) cleanup.push(() => store.close());
  try {
    const log = new JetStreamEventLog(nats, topology.streams.agentState, { namespace: topology.namespace });
    const leaseKv = await JetStreamKvStore.open(nats, leaseSpec.bucket);
    const leases = createLeaseManager({ kv: leaseKv, supervisorId, ttlMs: leaseTtlMs, logger, ...(options.leaseRenewIntervalMs !== undefined ? { renewIntervalMs: options.leaseRenewIntervalMs } : {}) });
    const registry = createAgentRegistry(pg, supervisorId);
    const publisher = createTransitionPublisher(log, logger);
    const releases = new Set<Promise<void>>();
    const forwardTimeoutMs = options.forwardTimeoutMs ?? 10_000;

    const runtime = createAgentRuntime({
      pg, log, store, namespace: topology.namespace, supervisorId, logger, ...(options.scheduler ? { scheduler: options.scheduler } : {}),
      command: () => (agentId, name, payload, opts) => command(agentId, name, payload, opts, false),
      residentState: (agentId) => host.stateOf(agentId),
      ownerOf: async (agentId) => (await leases.owner(agentId))?.supervisorId,
    });
    cleanup.push(() => runtime.stop());
    const snapshots = createSnapshotter({ log, pg, onError: (agentId, err) => logger.warn({ agentId, err }, 'snapshot failed; the next one folds from the previous snapshot') });
    const snapshotEvery = (type: AgentType) => type.snapshotEvery ?? options.snapshots?.every ?? DEFAULT_SNAPSHOT_EVERY;
    cleanup.push(() => snapshots.stop());
    const commandWindowMs = options.commandWindowMs ?? 24 * 3_600_000;
    // The dedup window is cut when the batch goes out: rows before it are pruned, rows after it loaded.
    const commandResults = new KeyBatcher(async (ids) => {
      const since = new Date(Date.now() - commandWindowMs);
      try {
        return await loadCommandResultsOf(pg.db, ids, since, { prune: true });
      } catch (e) {
        logger.warn({ err: e, agents: ids.length }, 'loading command results with pruning failed; loading without pruning (retried at the next hydration)');
        return loadCommandResultsOf(pg.db, ids, since);
      }
    }, { missing: () => [] as CommandResult[], copy: (r) => [...r] });
    const effects = createStoreEffects({
      supervisorId, store, leases, log, agentTypes: types, runtime,
      lastStateEvent: (agentId) => lastStateEvent(nats, topology, agentId),
      commandWindowMs,
      // Concurrent hydrations share one statement, which also prunes the results past the window.
      loadCommandResults: (agentId) => commandResults.load(agentId),
      onFlush: (agentId, report, ms) => observer.onFlush?.(agentId, report, ms),
      onStaleOwner: (agentId, by) => {
        logger.warn({ agentId, takenBy: by }, 'stale owner: a write was fenced off, the agent stops here');
        observer.onStaleOwner?.(agentId, by);
      },
    });
    const host = createAgentHost({
      supervisorId, agentTypes: [...types.values()], lifecycleOf,
      effects: {
        ...effects,
        transition(t) {
          publisher.publish(t);
          observer.onTransition?.(t);
          if (t.to === 'EXPIRED') {
            runtime.onExpired(t.agentId);
            effects.forget(t.agentId);
            store.setFlushPolicy(t.agentId, undefined);
            const p: Promise<void> = leases.release(t.agentId)
              .catch((e: unknown) => logger.warn({ err: e, agentId: t.agentId }, 'lease not released; it expires after the lease TTL'))
              .finally(() => releases.delete(p));
            releases.add(p);
          }
        },
      },
      ...(options.maxRestarts !== undefined ? { maxRestarts: options.maxRestarts } : {}),
      ...(options.restartWindowMs !== undefined ? { restartWindowMs: options.restartWindowMs } : {}),
      ...(options.restartBackoffMs !== undefined ? { restartBackoffMs: options.restartBackoffMs } : {}),
      onRestart: (agentId, info) => {
        (info.gaveUp ? logger.error : logger.warn).call(logger, { agentId, attempt: info.attempt, err: info.error }, info.gaveUp ? 'agent crashed too often; not restarting it' : 'restarting a crashed agent');
        observer.onRestart?.(agentId, info);
      },
    });
    leases.onLost((agentId, reason) => {
      host.evict(agentId, 'lease-lost', msError('NOT_OWNER', `supervisor ${supervisorId} lost the lease of ${agentId} (${reason})`, { details: { agentId } }));
      observer.onLeaseLost?.(agentId, reason);
    });

    let stopping: Promise<void> | undefined;
    const ownerRequests = new Set<Promise<void>>();

    async function typeOf(agentId: string): Promise<AgentType> {
      const name = host.typeOf(agentId) ?? await registry.typeOf(agentId);
      if (name === undefined) throw msError('UNKNOWN_AGENT', `agent ${agentId} is not registered: spawn it first`, { details: { agentId } });
      const type = types.get(name);
      if (!type) throw msError('UNKNOWN_AGENT', `agent ${agentId} is a ${name}, a type this supervisor does not run`, { details: { agentId, agentType: name } });
      return type;
    }

    async function forward<T>(owner: string, request: OwnerRequest): Promise<T> {
      observer.onForward?.(request.agentId, owner);
      const reply = await nats.nc.request(ownerSubject(topology.namespace, owner), encoder.encode(JSON.stringify(request)), { timeout: forwardTimeoutMs });
      return unwrapReply<T>(reply.data);
    }

    /**
     * Runs `local` here when this supervisor owns (or can take) the agent, else `remote` on the
     * owner. A dead owner's lease is waited out (takeover polls), then taken over.
     */
    async function route<T>(agentId: string, forwarded: boolean, local: () => Promise<T>, remote: (owner: string) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const last = attempt >= MAX_ROUTES;
        const here = host.lifecycleOf(agentId);
        const owner = leases.holds(agentId) || live(here) ? undefined : await leases.owner(agentId);
        if (!owner || owner.supervisorId === supervisorId) {
          try {
            return await local();
          } catch (e) {
            if (!MisterSmithError.is(e, 'NOT_OWNER') || forwarded || last) throw e;
            continue;
          }
        }
        if (forwarded) {
          throw msError('NOT_OWNER', `agent ${agentId} is owned by ${owner.supervisorId}, not ${supervisorId}`, { details: { agentId, owner: owner.supervisorId } });
        }
        try {
          return await remote(owner.supervisorId);
        } catch (e) {
          if (last) throw e;
          if (MisterSmithError.is(e, 'NOT_OWNER')) continue;
          if (!isUnreachable(e)) throw e;
          logger.info({ agentId, owner: owner.supervisorId }, 'owner does not answer; waiting for its lease to expire to take the agent over');
          await leases.waitUntilFree(agentId, leaseTtlMs * 2);
        }
      }
    }

    function ensureRunning(): void {
      if (stopping) throw msError('CLOSED', `supervisor ${supervisorId} is stopping`);
    }

    async function command(agentId: string, name: string, payload: unknown, opts: SupervisorCommandOptions, forwarded: boolean): Promise<CommandReply> {
      ensureRunning();
      assertAgentId(agentId);
      if (typeof name !== 'string' || name.length === 0) throw msError('INVALID_ARGUMENT', 'command must be a non-empty string');
      const type = await typeOf(agentId);
      if (!type.hasCommand(name) && !isSystemCommand(name)) {
        throw msError('UNKNOWN_COMMAND', `agent type ${type.name} has no command ${JSON.stringify(name)}`, { details: { agentId, agentType: type.name, command: name } });
      }
      // One id for the command wherever it runs: the caller's, else one made here, kept across
      // re-routes and forwards so any owner deduplicates a command sent twice.
      const commandId = opts.commandId ?? newId();
      return route(agentId, forwarded,
        () => host.command(agentId, type, name, payload, { commandId, ...(opts.base ? { base: opts.base } : {}) }).then((r) => {
          if (r.version && r.duplicate !== true) snapshots.noteEvents(agentId, Math.max(1, r.changedKeys.length), snapshotEvery(type), type.initialState);
          return r;
        }),
        (owner) => forward<CommandReply>(owner, { op: 'command', agentId, command: name, payload, commandId, ...(opts.base ? { base: opts.base } : {}) }));
    }

    async function activate(agentId: string, type: AgentType, forwarded: boolean): Promise<string> {
      return route(agentId, forwarded,
        () => host.activate(agentId, type).then(() => supervisorId),
        (owner) => forward<string>(owner, { op: 'activate', agentId }));
    }

    async function view(agentId: string, type: AgentType, key: string | undefined, forwarded: boolean): Promise<AgentView> {
      const here = host.lifecycleOf(agentId);
      const state = host.stateOf(agentId);
      if (state && here) {
        return key === undefined
          ? { agentId, agentType: type.name, lifecycle: here, supervisorId, state: userStateOf(state), ...runtimeSummary(state), queueDepth: host.queueDepth(agentId) }
          : { agentId, agentType: type.name, lifecycle: here, supervisorId, key, value: state[key] };
      }
      if (!forwarded && !leases.holds(agentId)) {
        const owner = await leases.owner(agentId);
        if (owner && owner.supervisorId !== supervisorId) {
          try {
            return await forward<AgentView>(owner.supervisorId, { op: 'get', agentId, ...(key !== undefined ? { key } : {}) });
          } catch (e) {
            if (!isUnreachable(e)) throw e;
            logger.info({ agentId, owner: owner.supervisorId }, 'owner does not answer; reading the committed state instead');
          }
        }
      }
      const lifecycle = here ?? 'COLD';
      if (key !== undefined) {
        const v = await store.read(agentId, key);
        return { agentId, agentType: type.name, lifecycle, supervisorId: null, key, value: v === undefined ? type.initialState[key] : v };
      }
      const all = await store.readAll(agentId);
      return { agentId, agentType: type.name, lifecycle, supervisorId: null, state: userStateOf(Object.freeze({ ...type.initialState, ...all })), ...runtimeSummary(all), queueDepth: 0 };
    }

    /** Pending timers and waits of a state object, as `get` shows them. */
    function runtimeSummary(state: Readonly<Record<string, unknown>>): { timers: number; waits: string[] } {
      const rt = runtimeOf(state);
      return { timers: Object.keys(rt.timers).filter((id) => !id.startsWith('_')).length, waits: Object.keys(rt.waits) };
    }

    async function stopAgent(agentId: string, forwarded: boolean): Promise<{ agentId: string; lifecycle: LifecycleState }> {
      await typeOf(agentId);
      if (live(host.lifecycleOf(agentId))) return { agentId, lifecycle: (await host.passivate(agentId)) ?? 'EXPIRED' };
      if (!forwarded) {
        const owner = await leases.owner(agentId);
        if (owner && owner.supervisorId !== supervisorId) {
          try {
            return await forward(owner.supervisorId, { op: 'stop', agentId });
          } catch (e) {
            if (!isUnreachable(e)) throw e;
            // A dead owner's agent is not ACTIVE anywhere; its lease runs out on its own.
          }
        }
      }
      return { agentId, lifecycle: host.lifecycleOf(agentId) ?? 'COLD' };
    }

    async function serveOwnerRequest(msg: Msg): Promise<void> {
      let reply: Uint8Array;
      try {
        const req = parseRequest(msg.data) as Partial<OwnerRequest>;
        const agentId = assertAgentId(req.agentId);
        switch (req.op) {
          case 'command': {
            const r = req as Extract<OwnerRequest, { op: 'command' }>;
            reply = okReply(await command(agentId, r.command, r.payload, { ...(r.commandId !== undefined ? { commandId: r.commandId } : {}), ...(r.base ? { base: r.base } : {}) }, true));
            break;
          }
          case 'activate':
            ensureRunning();
            reply = okReply(await activate(agentId, await typeOf(agentId), true));
            break;
          case 'get': {
            const key = (req as { key?: unknown }).key;
            reply = okReply(await view(agentId, await typeOf(agentId), key === undefined ? undefined : assertStateKey(key), true));
            break;
          }
          case 'stop':
            reply = okReply(await stopAgent(agentId, true));
            break;
          default:
            throw msError('INVALID_ARGUMENT', `unknown owner operation ${JSON.stringify(req.op)}`);
        }
      } catch (e) {
        reply = errorReply(e);
      }
      if (!msg.respond(reply)) logger.warn('a forwarded request had no reply subject');
    }

    const sub: Subscription = nats.nc.subscribe(ownerSubject(topology.namespace, supervisorId), {
      callback: (err, msg) => {
        if (err) { logger.error({ err }, 'owner subscription failed'); return; }
        const p: Promise<void> = serveOwnerRequest(msg)
          .catch((e: unknown) => logger.error({ err: e }, 'could not answer a forwarded request'))
          .finally(() => ownerRequests.delete(p));
        ownerRequests.add(p);
      },
    });
    cleanup.unshift(async () => { if (!sub.isClosed()) await sub.drain(); });
    await nats.nc.flush();

    const heartbeats = startHeartbeats({
      log, supervisorId, logger, maxMsgSize: topology.streams.agentState.maxMsgSize,
      intervalMs: options.heartbeatIntervalMs ?? 5_000,
      activeAgents: () => { const out: string[] = []; for (const r of host.residents()) if (r.lifecycle === 'ACTIVE' || r.lifecycle === 'FLUSHING') out.push(r.agentId); return out; },
    });

    const supervisor: Supervisor = {
      supervisorId,
      stateStore: store,
      async spawn(agentType, agentId, opts = {}) {
        ensureRunning();
        const type = types.get(agentType);
        if (!type) {
          throw msError('INVALID_ARGUMENT', `unknown agent type ${JSON.stringify(agentType)}; this supervisor runs ${[...types.keys()].join(', ')}`, { details: { agentType, known: [...types.keys()] } });
        }
        const id = agentId === undefined ? `${type.name.slice(0, 48)}-${randomBytes(6).toString('hex')}` : assertAgentId(agentId);
        if (opts.metadata !== undefined && (typeof opts.metadata !== 'object' || opts.metadata === null || Array.isArray(opts.metadata))) {
          throw msError('INVALID_ARGUMENT', 'metadata must be a JSON object');
        }
        await registry.register(id, type.name, opts.metadata ?? {});
        const where = await activate(id, type, false);
        return { agentId: id, agentType: type.name, lifecycle: host.lifecycleOf(id) ?? 'ACTIVE', supervisorId: where } satisfies SpawnResult;
      },
      command: (agentId, name, payload, opts = {}) => {
        if (typeof name === 'string' && isSystemCommand(name)) {
          return Promise.reject(msError('UNKNOWN_COMMAND', `${name} is a runtime command: use the timer and resume operations`, { details: { agentId, command: name } }));
        }
        return command(agentId, name, payload, opts, false);
      },
      timers: async (agentId) => { ensureRunning(); await typeOf(assertAgentId(agentId)); return runtime.timers(agentId); },
      setTimer: (agentId, spec) => { ensureRunning(); return runtime.setTimer(assertAgentId(agentId), spec); },
      cancelTimer: (agentId, timerId) => { ensureRunning(); return runtime.cancelTimer(assertAgentId(agentId), timerId); },
      resume: (agentId, requestId, value) => { ensureRunning(); return runtime.resume(assertAgentId(agentId), requestId, value); },
      waiting: (opts = {}) => { ensureRunning(); return runtime.waiting(opts); },
      async getAt(agentId, at) {
        ensureRunning();
        const type = await typeOf(assertAgentId(agentId));
        return readAgentAt({ log, pg }, agentId, at, type.initialState);
      },
      async fork(agentId, at, newAgentId) {
        ensureRunning();
        const type = await typeOf(assertAgentId(agentId));
        assertAgentId(newAgentId);
        if (await registry.typeOf(newAgentId) !== undefined) {
          throw msError('INVALID_ARGUMENT', `agent ${newAgentId} exists already: fork into a new id`, { details: { agentId: newAgentId } });
        }
        const past = await readAgentAt({ log, pg }, agentId, at, type.initialState);
        const forkedFrom = { agentId, revision: past.revision, at: past.at };
        await supervisor.spawn(type.name, newAgentId, { metadata: { forkedFrom } });
        await command(newAgentId, SYSTEM_COMMANDS.restore, { state: past.state, from: forkedFrom }, { commandId: `fork:${agentId}:${past.revision}` }, false);
        return { agentId: newAgentId, agentType: type.name, forkedFrom, state: past.state, complete: past.complete } satisfies ForkResult;
      },
      setKey: (agentId, key, value, opts = {}) => { ensureRunning(); return command(agentId, SYSTEM_COMMANDS.setKey, { key: assertStateKey(key), value }, opts, false); },
      async restoreTo(agentId, at, opts = {}) {
        ensureRunning();
        const type = await typeOf(assertAgentId(agentId));
        const past = await readAgentAt({ log, pg }, agentId, at, type.initialState);
        const restoredTo = { revision: past.revision, at: past.at };
        await command(agentId, SYSTEM_COMMANDS.restore, { state: past.state, from: { agentId, ...restoredTo } }, { commandId: opts.commandId ?? `restore:${agentId}:${past.revision}:${newId()}` }, false);
        return { agentId, restoredTo, state: past.state, complete: past.complete } satisfies RestoreResult;
      },
      async get(agentId, key) {
        ensureRunning();
        assertAgentId(agentId);
        if (key !== undefined) assertStateKey(key);
        return view(agentId, await typeOf(agentId), key, false);
      },
      async stopAgent(agentId) {
        ensureRunning();
        return stopAgent(assertAgentId(agentId), false);
      },
      async list(opts = {}) {
        ensureRunning();
        const { state } = opts;
        if (state !== undefined && !STATES.has(state)) {
          throw msError('INVALID_ARGUMENT', `state must be one of ${LIFECYCLE_STATES.join(', ')}, got ${JSON.stringify(state)}`, { details: { state } });
        }
        const limit = opts.limit ?? 1_000;
        if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw msError('INVALID_ARGUMENT', 'limit must be an integer from 1 to 100,000');
        const out: AgentListing[] = [];
        const resident = new Set<string>();
        for (const r of host.residents()) {
          resident.add(r.agentId);
          if (state === undefined || r.lifecycle === state) out.push({ ...r, supervisorId, resident: true });
        }
        if (out.length >= limit) return out.slice(0, limit);
        const leased = new Set(await leaseKv.keys());
        // Without a state filter every row counts; with one, rows are mapped first, so read further.
        const registered = await registry.list({ limit: state === undefined ? limit - out.length : 100_000, exclude: resident });
        for (const row of registered) {
          if (out.length >= limit) break;
          const status = STATES.has(row.status) ? (row.status as LifecycleState) : 'COLD';
          // Leases say who is live right now; the registry projection may lag or not run at all.
          const lifecycle: LifecycleState = leased.has(row.agentId)
            ? (live(status) ? status : 'ACTIVE')
            : live(status) || host.lifecycleOf(row.agentId) === 'EXPIRED' ? 'EXPIRED' : status;
          if (state === undefined || lifecycle === state) {
            out.push({ agentId: row.agentId, agentType: row.agentType, lifecycle, supervisorId: row.supervisorId, resident: false });
          }
        }
        return out;
      },
      lifecycleOf: (agentId) => host.lifecycleOf(agentId),
      counts: () => host.counts(),
      queuedCommands: () => { let n = 0; for (const r of host.residents()) n += host.queueDepth(r.agentId); return n; },
      armedTimers: () => runtime.armedTimers(),
      dirtyKeys: () => store.dirtyCount,
      async flush() {
        host.flushAll();
        await store.flush();
      },
      stop() {
        stopping ??= (async () => {
          const errors: unknown[] = [];
          const attempt = async (what: string, fn: () => Promise<unknown>) => {
            try { await fn(); } catch (e) { errors.push(e); logger.error({ err: e }, `supervisor stop: ${what} failed`); }
          };
          // Stop taking forwarded requests first; peers then see no responders and wait for the leases.
          await attempt('draining the owner subscription', async () => { if (!sub.isClosed()) await sub.drain(); });
          await attempt('answering forwarded requests', () => Promise.all([...ownerRequests]));
          await attempt('stopping timers', () => runtime.stop());
          await attempt('stopping heartbeats', () => heartbeats.stop());
          await attempt('flushing agents', () => host.stop({ timeoutMs: options.stopTimeoutMs ?? 30_000 }));
          await attempt('snapshots in flight', () => snapshots.stop());
          await attempt('publishing transitions', () => publisher.drain());
          await attempt('releasing leases', async () => { await Promise.all([...releases]); await leases.stop(); });
          await attempt('registry writes', () => registry.stop());
          await attempt(ownStore ? 'closing the state store' : 'flushing the state store', () => (ownStore ? store.close() : store.flush()));
          if (errors.length > 0) {
            throw msError('INTERNAL', `supervisor ${supervisorId} stopped with ${errors.length} error(s): ${(errors[0] as Error)?.message ?? String(errors[0])}`, { cause: errors[0], details: { errors: errors.length } });
          }
          logger.info('supervisor stopped');
        })();
        return stopping;
      },
      [Symbol.asyncDispose]: () => supervisor.stop(),
    };
    runtime.start();
    logger.info({ agentTypes: [...types.keys()], leaseTtlMs }, 'supervisor started');
    return supervisor;
  } catch (e) {
    for (const c of cleanup) await c().catch((err: unknown) => logger.error({ err }, 'cleanup after a failed start failed'));
    throw e;
  }
}
