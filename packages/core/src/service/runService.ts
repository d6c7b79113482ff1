import type { Registry } from 'prom-client';
import { loadConfig, type MisterSmithConfig } from '../config/loadConfig.js';
import type { Stack } from '../stack/Stack.js';
import { createRegistry } from '../observability/coreMetrics.js';
import { createLogger, type Logger } from '../observability/createLogger.js';
import { serveMetrics, type MetricsServer } from '../observability/serveMetrics.js';

/** Options every service process takes; everything has a default. */
export interface ServiceProcessOptions {
  /** Environment the configuration is read from (`loadConfig`). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /** Stop cleanly on SIGTERM and SIGINT (a second signal ends the process). Default true. */
  readonly handleSignals?: boolean;
  /** Stop when this signal aborts. */
  readonly signal?: AbortSignal;
}

/** What a role hands back once started: its handle, how to stop it, and its health. */
export interface StartedRole<T> {
  readonly value: T;
  stop(): Promise<void>;
  health(): { ok: boolean } & Record<string, unknown>;
}

/** A role running as a process. */
export interface RunningRole<T> extends AsyncDisposable {
  readonly value: T;
  readonly stack: Stack;
  /** `/metrics` and `/healthz` base URL, when `METRICS_PORT` is set. */
  readonly metricsUrl: string | undefined;
  /** Resolves once the role has stopped (signal, abort or `stop()`). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** What `start` gets: the connected, provisioned and migrated stack, a metrics registry, the logger. */
export interface RoleContext {
  readonly stack: Stack;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly config: MisterSmithConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Runs one service role as a process: loads the configuration, connects to NATS and PostgreSQL
 * (embedded ones when `NATS_URL` / `DATABASE_URL` are unset), provisions and migrates, starts the
 * role, serves `/metrics` and `/healthz` with `METRICS_PORT`, and stops cleanly on SIGTERM, SIGINT
 * or an abort: the role first, then the metrics server, then the stack.
 *
 * @example
 * const running = await runService('mister-smith-bridge', {}, async ({ stack, registry, logger }) => {
 *   const bridge = await startBridge({ ...stack, registry, logger });
 *   return { value: bridge, stop: () => bridge.stop(), health: () => ({ ok: true }) };
 * });
 * await running.done;
 */
export async function runService<T>(name: string, options: ServiceProcessOptions, start: (ctx: RoleContext) => Promise<StartedRole<T>>): Promise<RunningRole<T>> {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const logger = options.logger ?? createLogger(name);
  // Loaded here, not at import: a library user of core never loads the embedded servers.
  const { startLocalStack } = await import('../embedded/startLocalStack.js');
  const stack = await startLocalStack({ config, onProgress: (m) => logger.info(m) });
  let role: StartedRole<T> | undefined;
  let metrics: MetricsServer | undefined;
  try {
    const registry = createRegistry();
    role = await start({ stack, registry, logger, config, env });
    const r = role;
    if (config.metricsPort !== undefined) {
      metrics = await serveMetrics(registry, config.metricsPort, () => r.health());
      logger.info({ url: metrics.url }, 'serving /metrics and /healthz');
    }
  } catch (e) {
    await role?.stop().catch((err: unknown) => logger.error({ err }, `stopping a half-started ${name} failed`));
    await stack.close();
    throw e;
  }
  const running = role;
  const server = metrics;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, `stopping ${name}`);
    stop().catch((e: unknown) => {
      logger.error({ err: e }, `${name} did not stop cleanly`);
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
  return { value: running.value, stack, metricsUrl: server?.url, done, stop, [Symbol.asyncDispose]: stop };
}
