import type { Bridge, BridgeOptions } from './Bridge.js';
import { createBridge } from './createBridge.js';

/**
 * Creates and starts a bridge; resolves once it has tried the lock once (`status().active` tells
 * whether it publishes or stands by).
 *
 * @example
 * await using bridge = await startBridge({ pg: env.pg, nats: env.nats, topology: env.topology });
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const bridge = createBridge(options);
  await bridge.start();
  return bridge;
}
