import { LIFECYCLE_STATES } from '@mister-smith/core';
import type { Supervisor } from '@mister-smith/actors';
import type { ProjectionHost } from '@mister-smith/projections';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Metrics the CLI adds for the roles it runs in-process (the bridge and state store register their own). */
export interface RoleMetrics {
  readonly projectedEvents: Counter<'projection'>;
  readonly deadLettered: Counter<'projection'>;
}

/**
 * Registers the supervisor and projection gauges on `registry`. Gauges read the live objects on
 * every scrape (`collect`), so nothing has to be updated by hand.
 */
export function registerRoleMetrics(registry: Registry, roles: { supervisor?: () => Supervisor | undefined; projections?: () => ProjectionHost | undefined }): RoleMetrics {
  new Gauge({
    name: 'mister_smith_agents', help: 'Resident agents per lifecycle state', labelNames: ['state'] as const, registers: [registry],
    collect() {
      const sup = roles.supervisor?.();
      if (!sup) return;
      const counts = sup.counts();
      for (const s of LIFECYCLE_STATES) this.set({ state: s }, counts[s] ?? 0);
    },
  });
  new Gauge({
    name: 'mister_smith_supervisor_dirty_keys', help: 'Keys written by agents and not yet flushed to PostgreSQL', registers: [registry],
    collect() {
      const sup = roles.supervisor?.();
      if (sup) this.set(sup.dirtyKeys());
    },
  });
  new Gauge({
    name: 'mister_smith_projection_lag', help: 'Stream sequences between a projection checkpoint and its head', labelNames: ['projection'] as const, registers: [registry],
    async collect() {
      const host = roles.projections?.();
      if (!host) return;
      for (const s of await host.status()) this.set({ projection: s.name }, s.lag);
    },
  });
  return {
    projectedEvents: new Counter({ name: 'mister_smith_projection_events_total', help: 'Events applied by projections', labelNames: ['projection'] as const, registers: [registry] }),
    deadLettered: new Counter({ name: 'mister_smith_projection_dead_lettered_total', help: 'Events dead-lettered by projections', labelNames: ['projection'] as const, registers: [registry] }),
  };
}
