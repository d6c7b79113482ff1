import { LIFECYCLE_STATES } from '@mister-smith/core';
import type { Supervisor, SupervisorObserver } from '@mister-smith/actors';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The supervisor service's metrics, and the observer that feeds them. */
export interface SupervisorMetrics {
  readonly observer: SupervisorObserver;
  readonly requests: Counter<'op' | 'result'>;
  readonly requestSeconds: Histogram<'op'>;
}

/** Returns the metric registered under `name` on `registry`, or registers `make()`. */
function once<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * Registers the supervisor metrics on `registry`: agents per lifecycle state, flush latency,
 * dirty keys, restarts, transitions, stale owners, lost leases, forwards, API requests. Gauges are
 * read from the live supervisor at scrape time.
 */
export function supervisorMetrics(registry: Registry, supervisor: () => Supervisor | undefined): SupervisorMetrics {
  const registers = [registry];
  once(registry, 'mister_smith_supervisor_agents', () => new Gauge({
    name: 'mister_smith_supervisor_agents', help: 'Agents resident in this supervisor, per lifecycle state', labelNames: ['state'] as const, registers,
    collect() {
      const counts = supervisor()?.counts();
      for (const s of LIFECYCLE_STATES) this.set({ state: s }, counts?.[s] ?? 0);
    },
  }));
  once(registry, 'mister_smith_supervisor_queued_commands', () => new Gauge({
    name: 'mister_smith_supervisor_queued_commands', help: 'Commands waiting in the mailboxes of the resident agents, behind the running ones', registers,
    collect() { this.set(supervisor()?.queuedCommands() ?? 0); },
  }));
  once(registry, 'mister_smith_supervisor_timers_armed', () => new Gauge({
    name: 'mister_smith_supervisor_timers_armed', help: 'Resident agents with a timer armed in this process', registers,
    collect() { this.set(supervisor()?.armedTimers() ?? 0); },
  }));
  once(registry, 'mister_smith_supervisor_dirty_keys', () => new Gauge({
    name: 'mister_smith_supervisor_dirty_keys', help: 'Keys written by agents and not yet flushed to PostgreSQL', registers,
    collect() { this.set(supervisor()?.dirtyKeys() ?? 0); },
  }));
  const flushSeconds = once(registry, 'mister_smith_supervisor_flush_seconds', () => new Histogram({
    name: 'mister_smith_supervisor_flush_seconds', help: 'Latency of agent flushes to PostgreSQL', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers,
  }));
  const restarts = once(registry, 'mister_smith_supervisor_restarts_total', () => new Counter({
    name: 'mister_smith_supervisor_restarts_total', help: 'Crashed agents restarted (outcome=restarted) or given up on (outcome=gave_up)', labelNames: ['outcome'] as const, registers,
  }));
  const transitions = once(registry, 'mister_smith_supervisor_transitions_total', () => new Counter({
    name: 'mister_smith_supervisor_transitions_total', help: 'Lifecycle transitions, by target state', labelNames: ['to'] as const, registers,
  }));
  const staleOwners = once(registry, 'mister_smith_supervisor_stale_owner_total', () => new Counter({
    name: 'mister_smith_supervisor_stale_owner_total', help: 'Writes fenced off because another supervisor took the agent over', registers,
  }));
  const leasesLost = once(registry, 'mister_smith_supervisor_leases_lost_total', () => new Counter({
    name: 'mister_smith_supervisor_leases_lost_total', help: 'Agent leases lost (taken, expired or not renewable)', labelNames: ['reason'] as const, registers,
  }));
  const forwards = once(registry, 'mister_smith_supervisor_forwarded_total', () => new Counter({
    name: 'mister_smith_supervisor_forwarded_total', help: 'Requests forwarded to the supervisor owning the agent', registers,
  }));
  const requests = once(registry, 'mister_smith_supervisor_requests_total', () => new Counter({
    name: 'mister_smith_supervisor_requests_total', help: 'Request/reply API calls, by operation and result (ok or error code)', labelNames: ['op', 'result'] as const, registers,
  }));
  const requestSeconds = once(registry, 'mister_smith_supervisor_request_seconds', () => new Histogram({
    name: 'mister_smith_supervisor_request_seconds', help: 'Request/reply API latency', labelNames: ['op'] as const, buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers,
  }));
  return {
    requests,
    requestSeconds,
    observer: {
      onTransition: (t) => transitions.inc({ to: t.to }),
      onFlush: (_agentId, _report, ms) => flushSeconds.observe(ms / 1000),
      onRestart: (_agentId, info) => restarts.inc({ outcome: info.gaveUp ? 'gave_up' : 'restarted' }),
      onStaleOwner: () => staleOwners.inc(),
      onLeaseLost: (_agentId, reason) => leasesLost.inc({ reason }),
      onForward: () => forwards.inc(),
    },
  };
}
