import type { ProjectionHost, RunnerHooks } from '@mister-smith/projections';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The projector's metrics, and the runner hooks that feed them. */
export interface ProjectorMetrics {
  readonly hooks: RunnerHooks;
  /** Binds the gauges (lag, checkpoint, active) to a host; they are read on each scrape. */
  bind(host: ProjectionHost, onError: (e: unknown) => void): void;
}

/**
 * Registers on `registry`: `mister_smith_projection_events_total`, `..._dead_letters_total`,
 * `..._stalls_total`, `..._batch_seconds`, and the gauges `..._lag`, `..._checkpoint`, `..._active`,
 * `..._stalled_seconds`, labelled by projection.
 */
export function createProjectorMetrics(registry: Registry): ProjectorMetrics {
  const events = new Counter({ name: 'mister_smith_projection_events_total', help: 'Events applied by each projection on this instance', labelNames: ['projection'], registers: [registry] });
  const dead = new Counter({ name: 'mister_smith_projection_dead_letters_total', help: 'Events dead-lettered by each projection on this instance', labelNames: ['projection'], registers: [registry] });
  const stalls = new Counter({ name: 'mister_smith_projection_stalls_total', help: 'Times a projection\'s reader stalled (events waiting, none delivered) and was reopened on this instance', labelNames: ['projection'], registers: [registry] });
  const batch = new Histogram({ name: 'mister_smith_projection_batch_seconds', help: 'Time to apply and commit one batch', labelNames: ['projection'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  let host: ProjectionHost | undefined;
  let report: (e: unknown) => void = () => undefined;
  let snapshot: Promise<Awaited<ReturnType<ProjectionHost['status']>>> | undefined;
  // One status round per scrape, shared by the three gauges.
  const statuses = async () => {
    if (!host) return [];
    snapshot ??= host.status().finally(() => { setImmediate(() => { snapshot = undefined; }); });
    try {
      return await snapshot;
    } catch (e) {
      report(e);
      return [];
    }
  };
  const gauge = (name: string, help: string, pick: (s: Awaited<ReturnType<ProjectionHost['status']>>[number]) => number) => new Gauge({
    name, help, labelNames: ['projection'], registers: [registry],
    async collect() {
      for (const s of await statuses()) this.set({ projection: s.name }, pick(s));
    },
  });
  gauge('mister_smith_projection_lag', 'Stream sequences between the checkpoint and the head', (s) => s.lag);
  gauge('mister_smith_projection_checkpoint', 'Last applied stream sequence', (s) => s.checkpoint.seq);
  gauge('mister_smith_projection_stalled_seconds', 'How long events have waited without the checkpoint moving, once past the stall threshold (0: not stalled)', (s) => s.stalledMs / 1000);
  gauge('mister_smith_projection_active', '1 when this instance holds the projection\'s lock', (s) => (s.active ? 1 : 0));
  return {
    hooks: {
      onCommit(projection, info) {
        events.inc({ projection }, info.events);
        batch.observe({ projection }, info.durationMs / 1000);
      },
      onDeadLetter(projection) {
        dead.inc({ projection });
      },
      onStall(projection) {
        stalls.inc({ projection });
      },
    },
    bind(h, onError) {
      host = h;
      report = onError;
    },
  };
}
