import { assertSubjectToken, createLogger, loadConfig, startLocalStack, type Logger, type Stack } from '@mister-smith/core';
import { Registry } from 'prom-client';
import { createSupervisorService, type SupervisorService, type SupervisorServiceOptions } from './createSupervisorService.js';
import { serveMetrics, type MetricsServer } from '@mister-smith/core';

/** Options of `runSupervisorService`; everything has a default. */
export interface RunSupervisorServiceOptions {
  /** Environment the configuration is read from (`loadConfig`, plus `MISTER_SMITH_SUPERVISOR_ID`). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /** Stop cleanly on SIGTERM and SIGINT (flushing every agent). Default true. */
  readonly handleSignals?: boolean;
  /** Stop when this signal aborts. */
  readonly signal?: AbortSignal;
  /** Supervisor and API tuning (agent types, leases, heartbeats, restarts...). */
  readonly service?: Omit<SupervisorServiceOptions, 'nats' | 'pg' | 'topology' | 'logger' | 'registry'>;
}

/** A running supervisor process. */
export interface RunningSupervisorService extends AsyncDisposable {
  readonly service: SupervisorService;
  readonly stack: Stack;
  /** `/metrics` and `/healthz` base URL, when `METRICS_PORT` is set. */
  readonly metricsUrl: string | undefined;
  /** Resolves once the service has stopped (signal, abort or `stop()`). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
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
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const logger = options.logger ?? createLogger('mister-smith-supervisor');
  const supervisorId = env.MISTER_SMITH_SUPERVISOR_ID?.trim() ? assertSubjectToken(env.MISTER_SMITH_SUPERVISOR_ID.trim(), 'MISTER_SMITH_SUPERVISOR_ID') : undefined;
  const stack = await startLocalStack({ config, onProgress: (m) => logger.info(m) });
  let service: SupervisorService | undefined;
  let metrics: MetricsServer | undefined;
  try {
    const registry = new Registry();
    service = await createSupervisorService({
      ...(supervisorId ? { supervisorId } : {}), ...options.service,
      nats: stack.nats, pg: stack.pg, topology: stack.topology, logger, registry,
    });
    if (config.metricsPort !== undefined) {
      const s = service;
      metrics = await serveMetrics(registry, config.metricsPort, () => ({ ok: true, supervisorId: s.supervisor.supervisorId, agents: s.supervisor.counts() }));
      logger.info({ url: metrics.url }, 'serving /metrics and /healthz');
    }
  } catch (e) {
    await service?.stop().catch((err: unknown) => logger.error({ err }, 'stopping a half-started supervisor failed'));
    await stack.close();
    throw e;
  }
  const running = service;
  const server = metrics;

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping the supervisor: flushing every agent');
    stop().catch((e: unknown) => {
      logger.error({ err: e }, 'the supervisor did not stop cleanly');
      process.exitCode = 1;
    });
  };
  const onAbort = () => onSignal('SIGTERM');
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    options.signal?.removeEventListener('abort', onAbort);
    try {
      await running.stop();
      await server?.close();
    } finally {
      await stack.close();
      resolveDone();
    }
  })());
  if (options.handleSignals !== false) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  if (options.signal?.aborted) void stop();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  return { service: running, stack, metricsUrl: server?.url, done, stop, [Symbol.asyncDispose]: stop };
}
