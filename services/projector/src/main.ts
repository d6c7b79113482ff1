import { runService, type ServiceProcessOptions, type Stack } from '@mister-smith/core';
import { createProjector, type Projector, type ProjectorOptions } from './createProjector.js';

/** Options of `runProjectorService`; everything has a default. */
export interface ProjectorServiceOptions extends ServiceProcessOptions {
  readonly projector?: Omit<ProjectorOptions, 'stack' | 'nats' | 'pg' | 'topology' | 'logger' | 'registry'>;
}

/** A running projector service. */
export interface ProjectorService extends AsyncDisposable {
  readonly projector: Projector;
  readonly stack: Stack;
  /** `/metrics` and `/healthz` base URL, when `METRICS_PORT` is set. */
  readonly metricsUrl: string | undefined;
  /** Resolves once the service has stopped (signal, abort or `stop()`). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
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
