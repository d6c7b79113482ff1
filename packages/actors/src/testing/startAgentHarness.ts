import { startTestEnv, type TestEnv, type TestEnvOptions } from '@mister-smith/core/testing';
import type { AgentType } from '../agentTypes/AgentType.js';
import { createSupervisor } from '../supervisor/createSupervisor.js';
import type { Supervisor, SupervisorOptions } from '../supervisor/Supervisor.js';

/** Options of `startAgentHarness`: the test environment's and the supervisor's. */
export interface AgentHarnessOptions {
  readonly env?: TestEnvOptions;
  readonly supervisor?: Omit<SupervisorOptions, 'nats' | 'pg' | 'topology' | 'agentTypes'>;
}

/** Agent types under test on a supervisor of their own, in an isolated namespace and database. */
export interface AgentHarness extends AsyncDisposable {
  readonly env: TestEnv;
  readonly supervisor: Supervisor;
  /** Stops the supervisor (flushing every agent), then removes the namespace and the database. */
  close(): Promise<void>;
}

/**
 * Starts an agent-type test harness on the running NATS and PostgreSQL (see `startTestEnv`):
 * a fresh namespace and database, provisioned and migrated, and a supervisor hosting `agentTypes`.
 * Commands go through the same owner, leases, event appends and flushes as in production.
 *
 * @example
 * await using h = await startAgentHarness([counterAgent]);
 * await h.supervisor.spawn('counter', 'c1');
 * expect((await h.supervisor.command('c1', 'increment', { by: 2 })).result).toBe(2);
 */
export async function startAgentHarness(agentTypes: readonly AgentType[], options: AgentHarnessOptions = {}): Promise<AgentHarness> {
  const env = await startTestEnv(options.env ?? {});
  let supervisor: Supervisor;
  try {
    supervisor = await createSupervisor({ ...options.supervisor, nats: env.nats, pg: env.pg, topology: env.topology, agentTypes });
  } catch (e) {
    await env.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    try { await supervisor.stop(); } finally { await env.close(); }
  })());
  return { env, supervisor, close, [Symbol.asyncDispose]: close };
}
