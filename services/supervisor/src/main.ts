import { assertSubjectToken, runService, type RunningRole, type ServiceProcessOptions } from '@mister-smith/core';
import { createSupervisorService, type SupervisorService, type SupervisorServiceOptions } from './createSupervisorService.js';

/** Options of `runSupervisorService`; everything has a default. */
export interface RunSupervisorServiceOptions extends ServiceProcessOptions {
  readonly service?: Omit<SupervisorServiceOptions, 'nats' | 'pg' | 'topology' | 'logger' | 'registry'>;
}

/** A running supervisor process: its service, the stack, the metrics address and how to stop it. */
export interface RunningSupervisorService extends Omit<RunningRole<SupervisorService>, 'value'> {
  readonly service: SupervisorService;
}

/**
 * Runs the supervisor as a process: loads the configuration, connects to NATS and PostgreSQL
 * (starting embedded ones when `NATS_URL` / `DATABASE_URL` are unset), provisions and migrates,
 * serves the request/reply API and, with `METRICS_PORT`, `/metrics` and `/healthz`. SIGTERM or
 * SIGINT stops it: the API drains, every agent flushes to PostgreSQL and publishes its last
 * transition, leases are released, and the connections drain.
 *
 * @example
 * const running = await runSupervisorService();
 * await running.done; // until SIGTERM
 */
export async function runSupervisorService(options: RunSupervisorServiceOptions = {}): Promise<RunningSupervisorService> {
  const r = await runService<SupervisorService>('mister-smith-supervisor', options, async ({ stack, registry, logger, env }) => {
    const id = env.MISTER_SMITH_SUPERVISOR_ID?.trim();
    const supervisorId = id ? assertSubjectToken(id, 'MISTER_SMITH_SUPERVISOR_ID') : undefined;
    const service = await createSupervisorService({
      ...(supervisorId ? { supervisorId } : {}), ...options.service,
      nats: stack.nats, pg: stack.pg, topology: stack.topology, logger, registry,
    });
    return {
      value: service,
      stop: () => service.stop(),
      health: () => ({ ok: true, supervisorId: service.supervisor.supervisorId, agents: service.supervisor.counts() }),
    };
  });
  return { service: r.value, stack: r.stack, metricsUrl: r.metricsUrl, done: r.done, stop: r.stop, [Symbol.asyncDispose]: r.stop };
}
