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
  /** What the demo fleet did (`up --demo`). */
  readonly demo?: DemoFigures;
}

/** The demo fleet's figures on the status line. */
export interface DemoFigures {
  readonly commands: number;
  /** Agents the demo passivated (ACTIVE -> EXPIRED) and that its next command re-activated (EXPIRED -> ACTIVE). */
  readonly passivations: number;
  readonly reactivations: number;
  /** Demo tasks made to fail on purpose that have ended `failed`: expected, not a problem. */
  readonly failuresOnPurpose: number;
}

/** Takes status samples; the events rate is measured between consecutive samples. */
export interface StatusSampler {
  sample(): Promise<StatusSample>;
}

/** Creates a sampler over the roles running in this process. */
export function createStatusSampler(nats: NatsHandle, topology: Topology, roles: RunningRoles, demo?: () => Promise<DemoFigures>): StatusSampler {
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
      const x = await demo?.();
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
        ...(x ? { demo: x } : {}),
      };
    },
  };
}

/**
 * Renders a sample as one line, each figure named:
 * `up 12s | agents 5 ACTIVE, 1 FLUSHING | events 6.9/s | flush lag 7 keys | projection lag 0 | outbox 0 | tasks 11: 9 done, 2 failed (2 on purpose) | demo: 98 commands, 2 passivated, 2 re-activated`.
 */
export function formatStatus(s: StatusSample): string {
  const parts: string[] = [`up ${s.uptimeSeconds}s`];
  if (s.agents) {
    const shown = LIFECYCLE_STATES.filter((st) => st === 'ACTIVE' || (s.agents![st] ?? 0) > 0);
    parts.push(`agents ${shown.map((st) => `${s.agents![st] ?? 0} ${st}`).join(', ')}`);
  }
  parts.push(`events ${s.eventsPerSecond}/s`);
  if (s.dirtyKeys !== undefined) parts.push(`flush lag ${s.dirtyKeys} keys`);
  if (s.projectionLag !== undefined) parts.push(`projection lag ${s.projectionLag}${s.projectionsFailed?.length ? ` (FAILED: ${s.projectionsFailed.join(', ')})` : ''}`);
  if (s.outboxDepth !== undefined) parts.push(`outbox ${s.outboxDepth}`);
  if (s.tasks) {
    const onPurpose = s.demo && s.demo.failuresOnPurpose > 0 ? ` (${s.demo.failuresOnPurpose} on purpose)` : '';
    parts.push(`tasks ${s.tasks.dispatched}: ${s.tasks.completed} done, ${s.tasks.failed} failed${onPurpose}`);
  }
  if (s.demo) {
    const d = s.demo;
    parts.push(`demo: ${d.commands} commands, ${d.passivations} passivated, ${d.reactivations} re-activated`);
  }
  return parts.join(' | ');
}
