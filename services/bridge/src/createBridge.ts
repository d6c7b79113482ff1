import type { Bridge, BridgeOptions } from './Bridge.js';
import { OutboxBridge } from './OutboxBridge.js';

/**
 * Creates a PostgreSQL -> NATS bridge (not started). It publishes every `mister_smith.outbox` row
 * once, in id order, to AGENT_STATE (`agents.*`) or TASK_EXECUTION (`tasks.*`) with `Nats-Msg-Id`
 * `outbox:<system_identifier>:<id>`; one bridge per database is active at a time.
 *
 * @example
 * const bridge = createBridge({ pg: stack.pg, nats: stack.nats, topology: stack.topology, logger });
 * await bridge.start();
 * // ...
 * await bridge.stop();
 */
export function createBridge(options: BridgeOptions): Bridge {
  return new OutboxBridge(options);
}
