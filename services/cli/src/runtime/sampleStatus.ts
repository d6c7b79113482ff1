import { LIFECYCLE_STATES, type LifecycleState, type NatsHandle, type Topology } from '@mister-smith/core';
import type { RunningRoles } from './startRoles.js';

/** One sample of the live status line of `up` and the roles. */
export interface StatusSample {
  readonly type: 'status';
  readonly uptimeSeconds: number;
  /** Resident agents per lifecycle state (when a supervisor runs here). */
  readonly agents?: Readonly<Record<LifecycleState, number>>;
  /** Messages appended to the three streams per second since the previous sample. */
  readonly eventsPerSecond: number;
  /** Flush lag: keys acknowledged but not yet in PostgreSQL (supervisor agents + state store). */
  readonly dirtyKeys?: number;
  /** Largest projection lag (stream sequences) and the projections that failed. */
  readonly projectionLag?: number;
  readonly projectionsFailed?: readonly string[];
  /** Unpublished outbox rows (when the bridge runs here). */
  readonly outboxDepth?: number;
  /** Tasks this process dispatched, completed and failed (when the supervisor's task worker runs here). */
  readonly tasks?: { readonly dispatched: number; readonly completed: number; readonly failed: number };
  /** Extra figures (the demo's task counts). */
  readonly extra?: Readonly<Record<string, number>>;
}

/** Takes status samples; the events rate is measured between consecutive samples. */
export interface StatusSampler {
  sample(): Promise<StatusSample>;
}

/** Creates a sampler over the roles running in this process. */
export function createStatusSampler(nats: NatsHandle, topology: Topology, roles: RunningRoles, extra?: () => Record<string, number>): StatusSampler {
  const started = Date.now();
  let last: { at: number; total: number } | undefined;
  const streamsTotal = async () => {
    let total = 0;
    for (const s of Object.values(topology.streams)) total += (await nats.jsm.streams.info(s.name)).state.last_seq;
    return total;
  };
  return {
    async sample() {
      const now = Date.now();
      const total = await streamsTotal();
      const rate = last && now > last.at ? ((total - last.total) * 1000) / (now - last.at) : 0;
      last = { at: now, total };
      const sup = roles.supervisor;
      const statuses = roles.projections ? await roles.projections.status() : undefined;
      const b = roles.bridge?.status();
      const t = roles.taskWorker?.stats();
      const x = extra?.();
      return {
        type: 'status',
        uptimeSeconds: Math.round((now - started) / 1000),
        ...(sup ? { agents: sup.counts(), dirtyKeys: sup.dirtyKeys() } : {}),
        eventsPerSecond: Math.round(rate * 10) / 10,
        ...(statuses ? {
          projectionLag: statuses.reduce((m, s) => Math.max(m, s.lag), 0),
          projectionsFailed: statuses.filter((s) => s.state === 'failed').map((s) => s.name),
        } : {}),
        ...(b ? { outboxDepth: b.depth } : {}),
        ...(t ? { tasks: { dispatched: t.dispatched, completed: t.completed, failed: t.failed } } : {}),
        ...(x ? { extra: x } : {}),
      };
    },
  };
}

/** Renders a sample as one line: `up 12s | agents 5 ACTIVE, 1 FLUSHING | 6.9 ev/s | flush lag 7 keys | projection lag 0 | outbox 0 | tasks 5 done 4 failed 1`. */
export function formatStatus(s: StatusSample): string {
  const parts: string[] = [`up ${s.uptimeSeconds}s`];
  if (s.agents) {
    const shown = LIFECYCLE_STATES.filter((st) => st === 'ACTIVE' || (s.agents![st] ?? 0) > 0);
    parts.push(`agents ${shown.map((st) => `${s.agents![st] ?? 0} ${st}`).join(', ')}`);
  }
  parts.push(`${s.eventsPerSecond} ev/s`);
  if (s.dirtyKeys !== undefined) parts.push(`flush lag ${s.dirtyKeys} keys`);
  if (s.projectionLag !== undefined) parts.push(`projection lag ${s.projectionLag}${s.projectionsFailed?.length ? ` (FAILED: ${s.projectionsFailed.join(', ')})` : ''}`);
  if (s.outboxDepth !== undefined) parts.push(`outbox ${s.outboxDepth}`);
  if (s.tasks) parts.push(`tasks ${s.tasks.dispatched} done ${s.tasks.completed} failed ${s.tasks.failed}`);
  if (s.extra) parts.push(Object.entries(s.extra).map(([k, v]) => `${k} ${v}`).join(' '));
  return parts.join(' | ');
}
