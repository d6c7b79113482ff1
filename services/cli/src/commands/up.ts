import type { AgentType } from '@mister-smith/actors';
import { createOutput, type Output } from '../cli/Output.js';
import { ROLES } from '../runtime/startRoles.js';
import { runStack } from '../runtime/runStack.js';

/** Options of `mister-smith up`. */
export interface UpOptions {
  /** Also run the demo fleet (counter and notes agents, tasks). */
  readonly demo?: boolean;
  /** Stop after this many seconds (default: run until SIGINT/SIGTERM). */
  readonly duration?: number;
  readonly json?: boolean;
  /** `/metrics` and `/healthz` port (default METRICS_PORT; unset: not served). */
  readonly metricsPort?: number;
  /** Seconds between status lines when stdout is not a terminal (default 5). */
  readonly statusInterval?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Port of the fleet page (default MISTER_SMITH_WEB_PORT, else 4280, else any free one). */
  readonly webPort?: number;
  /** Agent types the supervisor runs besides the built-in ones (`--load`). */
  readonly agentTypes?: readonly AgentType[];
}

/**
 * `mister-smith up`: supervisor, projector, bridge and the web page in one process, on embedded NATS and
 * PostgreSQL when NATS_URL / DATABASE_URL are unset; migrations and provisioning first; a live
 * status line; a clean shutdown on Ctrl-C or SIGTERM.
 *
 * @example
 * await up({ demo: true, duration: 30 });
 */
export async function up(options: UpOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<void> {
  const { webPort, ...rest } = options;
  await runStack('up', { ...rest, roles: ROLES, ...(webPort !== undefined ? { web: { port: webPort } } : {}) }, output);
}
