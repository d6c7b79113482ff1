import { runService, type RunningRole, type ServiceProcessOptions } from '@mister-smith/core';
import type { Bridge, BridgeOptions } from './Bridge.js';
import { startBridge } from './startBridge.js';

/** Options of `runBridgeService`; everything has a default. */
export interface BridgeServiceOptions extends ServiceProcessOptions {
  /** Bridge tuning (batch size, intervals, retention). */
  readonly bridge?: Omit<BridgeOptions, 'pg' | 'nats' | 'topology' | 'logger' | 'registry'>;
}

/** A running bridge service: its bridge, the stack, the metrics address and how to stop it. */
export interface BridgeService extends Omit<RunningRole<Bridge>, 'value'> {
  readonly bridge: Bridge;
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
  const r = await runService<Bridge>('mister-smith-bridge', options, async ({ stack, registry, logger }) => {
    const bridge = await startBridge({ ...options.bridge, pg: stack.pg, nats: stack.nats, topology: stack.topology, logger, registry });
    return {
      value: bridge,
      stop: () => bridge.stop(),
      health: () => { const st = bridge.status(); return { ok: st.state === 'active' || st.state === 'standby', ...st }; },
    };
  });
  return { bridge: r.value, stack: r.stack, metricsUrl: r.metricsUrl, done: r.done, stop: r.stop, [Symbol.asyncDispose]: r.stop };
}
