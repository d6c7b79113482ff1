import { runService, type RunningRole, type ServiceProcessOptions } from '@mister-smith/core';
import { createProjector, type Projector, type ProjectorOptions } from './createProjector.js';

/** Options of `runProjectorService`; everything has a default. */
export interface ProjectorServiceOptions extends ServiceProcessOptions {
  readonly projector?: Omit<ProjectorOptions, 'stack' | 'nats' | 'pg' | 'topology' | 'logger' | 'registry'>;
}

/** A running projector service: its projector, the stack, the metrics address and how to stop it. */
export interface ProjectorService extends Omit<RunningRole<Projector>, 'value'> {
  readonly projector: Projector;
}

/**
 * Runs the projector as a process: loads the configuration, connects to NATS and PostgreSQL
 * (starting embedded ones when `NATS_URL` / `DATABASE_URL` are unset), provisions and migrates,
 * runs every projection and, with `METRICS_PORT`, serves `/metrics` and `/healthz`. SIGTERM or
 * SIGINT stops it: batches in flight commit, locks are released, connections drain.
 *
 * @example
 * const service = await runProjectorService();
 * await service.done; // until SIGTERM
 */
export async function runProjectorService(options: ProjectorServiceOptions = {}): Promise<ProjectorService> {
  const r = await runService<Projector>('mister-smith-projector', options, async ({ stack, registry, logger }) => {
    const p = await createProjector({ ...options.projector, stack, logger, registry });
    return {
      value: p,
      stop: () => p.stop(),
      health: () => {
        const states = p.host.names.map((n) => ({ name: n, state: p.host.runner(n).state, active: p.host.runner(n).active }));
        return { ok: states.every((st) => st.state !== 'failed' && st.state !== 'stopped'), instance: p.instanceId, projections: states };
      },
    };
  });
  return { projector: r.value, stack: r.stack, metricsUrl: r.metricsUrl, done: r.done, stop: r.stop, [Symbol.asyncDispose]: r.stop };
}
