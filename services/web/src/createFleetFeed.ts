import { subscribe, type AgentLifecycleChangedData, type DatabaseHandle, type EventLog, type Logger, type NatsHandle, type StateChangedData, type Subscription, type Topology } from '@mister-smith/core';
import { readProjectors, type ProjectorsView } from './projectorClient.js';
import { readCheckpoints, readDeadLetters, readFleetSummary, type FleetSummary } from './readFleet.js';

/** One message of the fleet stream (`/api/fleet/stream`). */
export interface FleetMessage {
  readonly event: 'fleet' | 'agents' | 'projections';
  readonly data: unknown;
}

/** What changed for one agent since the last `agents` message. */
export interface AgentUpdate {
  readonly agentId: string;
  readonly lastEvent: { readonly type: string; readonly time: string; readonly seq: number; readonly summary: string };
  /** Set by a lifecycle transition. */
  readonly state?: string;
  readonly agentType?: string;
  readonly owner?: string;
}

/** The projections view: projectors' status, checkpoints and dead letters. */
export interface ProjectionsMessage extends ProjectorsView {
  readonly checkpoints: Awaited<ReturnType<typeof readCheckpoints>>;
  readonly deadLetters: Awaited<ReturnType<typeof readDeadLetters>>;
}

/** Options of `createFleetFeed`. */
export interface FleetFeedOptions {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  readonly agentState: EventLog;
  readonly logger: Logger;
  /** Time between two samples of the read models (default 1000 ms; 250 ms while a rebuild runs). */
  readonly intervalMs?: number;
}

/** The live feed behind the fleet page, shared by every open page. */
export interface FleetFeed {
  /** Adds a listener (the feed runs while it has any); it gets the last samples at once. Returns the detach function. */
  attach(listener: (m: FleetMessage) => void): () => void;
  /** Samples now and fast for a while (a rebuild was requested). */
  kick(): void;
  stop(): Promise<void>;
}

/**
 * One feed per web process: while a page is open it follows AGENT_STATE (new events only) for
 * per-agent updates, coalesced every 250 ms, and samples the read models every second: agents
 * per state, owners, tasks, events per second (stream sequences), projections, checkpoints and
 * dead letters. Nothing runs while no page is open.
 */
export function createFleetFeed(options: FleetFeedOptions): FleetFeed {
  const { nats, pg, topology, logger } = options;
  const intervalMs = options.intervalMs ?? 1000;
  const listeners = new Set<(m: FleetMessage) => void>();
  const pendingAgents = new Map<string, AgentUpdate>();
  let last: { fleet?: FleetMessage; projections?: FleetMessage } = {};
  let sub: Subscription | undefined;
  let pump: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushTimer: ReturnType<typeof setInterval> | undefined;
  let sampling: Promise<void> | undefined;
  let fastUntil = 0;
  let rate: { at: number; total: number } | undefined;
  let eventsPerSecond = 0;

  const broadcast = (m: FleetMessage) => { for (const l of listeners) l(m); };

  const streamsTotal = async () => {
    let total = 0;
    for (const s of Object.values(topology.streams)) total += (await nats.jsm.streams.info(s.name)).state.last_seq;
    return total;
  };

  const sample = async () => {
    const now = Date.now();
    const total = await streamsTotal();
    if (rate && now > rate.at) eventsPerSecond = Math.round(((total - rate.total) * 10_000) / (now - rate.at)) / 10;
    rate = { at: now, total };
    const [summary, projectors, checkpoints, deadLetters] = await Promise.all([
      readFleetSummary(pg, eventsPerSecond), readProjectors(nats, topology.namespace, 500), readCheckpoints(pg), readDeadLetters(pg),
    ]);
    last = { fleet: { event: 'fleet', data: summary satisfies FleetSummary }, projections: { event: 'projections', data: { ...projectors, checkpoints, deadLetters } satisfies ProjectionsMessage } };
    broadcast(last.fleet!);
    broadcast(last.projections!);
    if (projectors.projections.some((p) => p.state === 'rebuilding')) fastUntil = Math.max(fastUntil, Date.now() + 2000);
  };

  const schedule = (delay: number) => {
    clearTimeout(timer);
    if (listeners.size === 0) return;
    timer = setTimeout(() => {
      sampling = sample()
        .catch((e: unknown) => logger.warn({ err: e }, 'sampling the fleet failed; trying again'))
        .finally(() => { sampling = undefined; schedule(Date.now() < fastUntil ? 250 : intervalMs); });
    }, delay);
  };

  const flushAgents = () => {
    if (pendingAgents.size === 0) return;
    const updates = [...pendingAgents.values()];
    pendingAgents.clear();
    broadcast({ event: 'agents', data: updates });
  };

  const start = () => {
    sub = subscribe(options.agentState, { subjects: ['agents.state.>', 'agents.lifecycle.>'], from: 'new' });
    const s = sub;
    pump = (async () => {
      for await (const item of s) {
        if (item.kind !== 'event') continue;
        const { event: e, seq } = item.record;
        if (!e.agentId) continue;
        const prev = pendingAgents.get(e.agentId);
        let update: AgentUpdate;
        if (e.type === 'AgentLifecycleChanged') {
          const d = e.data as AgentLifecycleChangedData;
          update = { agentId: e.agentId, state: d.to, agentType: d.agentType, owner: d.supervisorId, lastEvent: { type: e.type, time: e.time, seq, summary: `${d.from} -> ${d.to} (${d.reason})` } };
        } else {
          const d = e.data as Partial<StateChangedData>;
          const summary = e.type === 'StateChanged' ? `${d.op ?? 'put'} ${d.key ?? ''}` : e.type;
          update = { ...(prev ?? {}), agentId: e.agentId, lastEvent: { type: e.type, time: e.time, seq, summary } };
        }
        pendingAgents.set(e.agentId, prev && update.state === undefined ? { ...prev, lastEvent: update.lastEvent } : update);
      }
    })().catch((e: unknown) => logger.warn({ err: e }, 'the fleet feed lost its subscription; reopen the page to resume'));
    flushTimer = setInterval(flushAgents, 250);
    schedule(0);
  };

  const halt = async () => {
    clearTimeout(timer);
    clearInterval(flushTimer);
    timer = undefined;
    flushTimer = undefined;
    const s = sub;
    sub = undefined;
    pendingAgents.clear();
    rate = undefined;
    if (s) await s.stop();
    await pump;
    await sampling;
  };

  return {
    attach(listener) {
      listeners.add(listener);
      if (last.fleet) listener(last.fleet);
      if (last.projections) listener(last.projections);
      if (listeners.size === 1) start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) void halt().catch((e: unknown) => logger.warn({ err: e }, 'stopping the fleet feed failed'));
      };
    },
    kick() {
      fastUntil = Date.now() + 5000;
      if (listeners.size > 0 && !sampling) schedule(0);
    },
    async stop() {
      listeners.clear();
      await halt();
    },
  };
}
