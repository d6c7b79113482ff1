import { assistantAgent, counterAgent, createSupervisor, errorReply, notesAgent, okReply, type AgentType, type Supervisor, type SupervisorOptions } from '@mister-smith/actors';
import { createStateStore, MisterSmithError, namespacedSubject, silentLogger, type Logger } from '@mister-smith/core';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { Registry } from 'prom-client';
import { API_OPERATIONS, parseApiRequest, type ApiRequest } from './parseApiRequest.js';
import { supervisorMetrics } from './supervisorMetrics.js';

/** Options of `createSupervisorService`: the supervisor's, plus the API's. */
export interface SupervisorServiceOptions extends Omit<SupervisorOptions, 'observer' | 'agentTypes' | 'logger'> {
  /** Agent types served (default the examples `counter`, `notes` and `assistant`). */
  readonly agentTypes?: readonly AgentType[];
  readonly logger?: Logger;
  /** Metrics registry (default a new one; serve it on /metrics). */
  readonly registry?: Registry;
  /** Queue group of the API subscription: requests are spread over every supervisor of the namespace. */
  readonly queueGroup?: string;
  /** Requests handled at once; more wait their turn (default 256). */
  readonly maxConcurrentRequests?: number;
}

/** A running supervisor with its request/reply API. */
export interface SupervisorService extends AsyncDisposable {
  readonly supervisor: Supervisor;
  readonly registry: Registry;
  /** The API's subject pattern: `<ns.>mister-smith.supervisor.*`. */
  readonly subject: string;
  /** Stops the API (draining requests in flight), then the supervisor (flushing every agent). */
  stop(): Promise<void>;
}

const KNOWN_OPS: ReadonlySet<string> = new Set(API_OPERATIONS);

/**
 * Starts a supervisor and serves its request/reply API on `<ns.>mister-smith.supervisor.<op>`
 * (ops `spawn {type, id?}`, `command {agentId, command, payload, commandId?}`, `set {agentId, key, value, commandId?}`, `get {agentId, key?}`,
 * `stop {agentId}`, `list {state?, limit?}`, and the agent runtime's `timers {agentId}`,
 * `setTimer {agentId, spec}`, `cancelTimer {agentId, timerId}`, `resume {agentId, requestId, value}`,
 * `waiting {agentId?, limit?}`, `getAt {agentId, at}`, `fork {agentId, at, to}`, `restoreTo {agentId, at, commandId?}`), answering `{ ok: true, result }` or
 * `{ ok: false, error: { code, message } }`. Bad requests get typed errors; none stops the service.
 *
 * @example
 * await using svc = await createSupervisorService({ nats, pg, topology });
 * const reply = await nats.nc.request('mister-smith.supervisor.spawn', JSON.stringify({ type: 'counter' }));
 */
export async function createSupervisorService(options: SupervisorServiceOptions): Promise<SupervisorService> {
  const { nats, pg, topology } = options;
  const logger = options.logger ?? silentLogger();
  const registry = options.registry ?? new Registry();
  let supervisor: Supervisor | undefined;
  const metrics = supervisorMetrics(registry, () => supervisor);
  const ownStore = options.stateStore === undefined;
  const store = options.stateStore ?? await createStateStore({ nats, pg, topology, logger, registry }, { ...(options.supervisorId ? { writerId: options.supervisorId } : {}), ...options.stateStoreOptions });
  try {
    supervisor = await createSupervisor({ ...options, stateStore: store, agentTypes: options.agentTypes ?? [counterAgent, notesAgent, assistantAgent], logger, observer: metrics.observer });
  } catch (e) {
    if (ownStore) await store.close();
    throw e;
  }
  const sup = supervisor;
  const log = logger.child({ supervisorId: sup.supervisorId });
  const prefix = namespacedSubject(topology.namespace, 'mister-smith.supervisor.');
  const subject = `${prefix}*`;
  const maxConcurrent = options.maxConcurrentRequests ?? 256;
  const inflight = new Set<Promise<void>>();
  const waiting: Msg[] = [];

  async function run(req: ApiRequest): Promise<unknown> {
    switch (req.op) {
      case 'spawn': return sup.spawn(req.agentType, req.agentId, req.metadata ? { metadata: req.metadata } : {});
      case 'command': return sup.command(req.agentId, req.command, req.payload, { ...(req.commandId !== undefined ? { commandId: req.commandId } : {}), ...(req.base ? { base: req.base } : {}) });
      case 'set': return sup.setKey(req.agentId, req.key, req.value, req.commandId !== undefined ? { commandId: req.commandId } : {});
      case 'get': return sup.get(req.agentId, req.key);
      case 'stop': return sup.stopAgent(req.agentId);
      case 'list': return sup.list({ ...(req.state ? { state: req.state } : {}), ...(req.limit ? { limit: req.limit } : {}) });
      case 'timers': return sup.timers(req.agentId);
      case 'setTimer': return sup.setTimer(req.agentId, req.spec);
      case 'cancelTimer': return sup.cancelTimer(req.agentId, req.timerId);
      case 'resume': return sup.resume(req.agentId, req.requestId, req.value);
      case 'getAt': return sup.getAt(req.agentId, req.at);
      case 'fork': return sup.fork(req.agentId, req.at, req.to);
      case 'restoreTo': return sup.restoreTo(req.agentId, req.at, req.commandId !== undefined ? { commandId: req.commandId } : {});
      case 'waiting': return sup.waiting({ ...(req.agentId ? { agentId: req.agentId } : {}), ...(req.limit ? { limit: req.limit } : {}) });
    }
  }

  async function handle(msg: Msg): Promise<void> {
    const op = msg.subject.slice(prefix.length);
    const stop = metrics.requestSeconds.startTimer({ op: KNOWN_OPS.has(op) ? op : 'unknown' });
    let reply: Uint8Array;
    let result = 'ok';
    try {
      reply = okReply(await run(parseApiRequest(op, msg.data)));
    } catch (e) {
      result = MisterSmithError.is(e) ? e.code : 'INTERNAL';
      if (result === 'INTERNAL') log.error({ err: e, op }, 'request failed');
      else log.debug({ op, code: result, message: (e as Error).message }, 'request refused');
      reply = errorReply(e);
    }
    stop();
    metrics.requests.inc({ op: KNOWN_OPS.has(op) ? op : 'unknown', result });
    if (!msg.reply) { log.warn({ op }, 'request without a reply subject ignored'); return; }
    msg.respond(reply);
  }

  function pump(): void {
    while (inflight.size < maxConcurrent && waiting.length > 0) {
      const msg = waiting.shift()!;
      const p: Promise<void> = handle(msg)
        .catch((e: unknown) => log.error({ err: e }, 'could not answer a request'))
        .finally(() => { inflight.delete(p); pump(); });
      inflight.add(p);
    }
  }

  const sub: Subscription = nats.nc.subscribe(subject, {
    queue: options.queueGroup ?? 'mister-smith-supervisor',
    callback: (err, msg) => {
      if (err) { log.error({ err }, 'API subscription failed'); return; }
      waiting.push(msg);
      pump();
    },
  });
  await nats.nc.flush();
  log.info({ subject }, 'supervisor API serving');

  let stopping: Promise<void> | undefined;
  const service: SupervisorService = {
    supervisor: sup,
    registry,
    subject,
    stop() {
      stopping ??= (async () => {
        // No new requests; answer those already received, then flush every agent.
        if (!sub.isClosed()) await sub.drain();
        while (waiting.length > 0 || inflight.size > 0) await Promise.all([...inflight]).then(() => new Promise((r) => setImmediate(r)));
        try {
          await sup.stop();
        } finally {
          if (ownStore) await store.close();
        }
        log.info('supervisor service stopped');
      })();
      return stopping;
    },
    [Symbol.asyncDispose]: () => service.stop(),
  };
  return service;
}
