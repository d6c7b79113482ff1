import type { AgentType } from '@mister-smith/actors';
import { createOutput, type Output } from '../cli/Output.js';
import type { WebConfigInput } from '@mister-smith/web';
import type { Role } from '../runtime/startRoles.js';
import { runStack } from '../runtime/runStack.js';

/** Options of `mister-smith supervisor | projector | bridge | web`. */
export interface RoleOptions {
  readonly duration?: number;
  readonly json?: boolean;
  readonly metricsPort?: number;
  readonly statusInterval?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The web role's host, port and rebuild switch (over MISTER_SMITH_WEB_*). */
  readonly web?: WebConfigInput;
  /** Agent types the supervisor runs besides the built-in ones (`--load`). */
  readonly agentTypes?: readonly AgentType[];
}

/**
 * `mister-smith supervisor | projector | bridge | web`: one role alone (for production, one process per
 * role and as many as needed), with the same startup, metrics, status and shutdown as `up`.
 *
 * @example
 * await runRole('projector', { metricsPort: 9464 });
 */
export async function runRole(role: Role, options: RoleOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<void> {
  await runStack(role, { ...options, roles: [role] }, output);
}
