import { loadConfig, startLocalStack, type Stack } from '@mister-smith/core';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { createProjector, type Projector, type ProjectorOptions } from './createProjector.js';
import { serveMetrics, type MetricsServer } from '@mister-smith/core';
import { takeOverSignals } from './takeOverSignals.js';

/** Options of `runProjectorService`; everything has a default. */
export interface ProjectorServiceOptions {
  /** Environment the configuration is read from (`loadConfig`). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /** Stop cleanly on SIGTERM and SIGINT. Default true. */
  readonly handleSignals?: boolean;
  /** Stop when this signal aborts. */
  readonly signal?: AbortSignal;
  /** Projector settings (projections, runner tuning, instance id). */
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
  const config = loadConfig(options.env ?? process.env);
  const logger = options.logger ?? pino({ name: 'mister-smith-projector' });
  const stack = await startLocalStack({ config, onProgress: (m) => logger.info(m) });
  let projector: Projector | undefined;
  let metrics: MetricsServer | undefined;
  try {
    const registry = new Registry();
    projector = await createProjector({ ...options.projector, stack, logger, registry });
    const p = projector;
    if (config.metricsPort !== undefined) {
      metrics = await serveMetrics(registry, config.metricsPort, () => {
        const states = p.host.names.map((n) => ({ name: n, state: p.host.runner(n).state, active: p.host.runner(n).active }));
        return { ok: states.every((s) => s.state !== 'failed' && s.state !== 'stopped'), instance: p.instanceId, projections: states };
      });
      logger.info({ url: metrics.url }, 'serving /metrics and /healthz');
    }
  } catch (e) {
    await projector?.stop();
    await stack.close();
    throw e;
  }
  const running = projector;
  const server = metrics;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping the projector');
    stop().catch((e: unknown) => {
      logger.error({ err: e }, 'the projector did not stop cleanly');
      process.exitCode = 1;
    });
  };
  const onAbort = () => onSignal('SIGTERM');
  let stopping: Promise<void> | undefined;
  let restoreSignals = () => undefined as void;
  const stop = () => (stopping ??= (async () => {
    options.signal?.removeEventListener('abort', onAbort);
    try {
      await running.stop();
      await server?.close();
    } finally {
      await stack.close();
      restoreSignals();
      resolveDone();
    }
  })());
  if (options.handleSignals !== false) restoreSignals = takeOverSignals(onSignal);
  if (options.signal?.aborted) void stop();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  return { projector: running, stack, metricsUrl: server?.url, done, stop, [Symbol.asyncDispose]: stop };
}
