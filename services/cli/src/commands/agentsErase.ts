import { assertAgentId, MisterSmithError } from '@mister-smith/core';
import { eraseAgent, type ErasureReport } from '@mister-smith/governance';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';
import { callSupervisor } from '../connection/supervisorApi.js';

/** Options of `mister-smith agents erase`. */
export interface AgentsEraseOptions {
  readonly yes?: boolean;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith agents erase ID --yes`: removes one agent from every store (KV keys, its messages
 * in every stream, archive rows, state, registry, outbox, dead letters, tasks, command records,
 * timers, waits) and prints what it removed from each. An ACTIVE agent is stopped first through
 * its supervisor. Without `--yes` it refuses (a usage error).
 *
 * @example
 * await agentsErase('customer-42', { yes: true });
 */
export async function agentsErase(agentId: string, options: AgentsEraseOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<ErasureReport> {
  assertAgentId(agentId);
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const report = await eraseAgent({ nats: c.nats, pg: c.requirePg(), topology: c.topology }, agentId, {
    stop: async (id) => {
      try {
        await callSupervisor(c, 'stop', { agentId: id });
      } catch (e) {
        // Its owner is gone (the lease only waits to expire): nothing runs the agent any more.
        if (!MisterSmithError.is(e, 'UNKNOWN_AGENT') && !MisterSmithError.is(e, 'NOT_FOUND')) throw e;
      }
    },
  });
  output.result(report, () => {
    const lines = [`erased ${agentId}${report.stopped ? ' (stopped first)' : ''}`];
    const rows = [...Object.entries(report.nats).map(([k, n]) => [`nats ${k}`, n] as const), ...Object.entries(report.postgres).map(([k, n]) => [`postgres ${k}`, n] as const)];
    if (rows.length === 0) lines.push('  nothing of it was stored');
    const w = Math.max(0, ...rows.map(([k]) => k.length));
    for (const [k, n] of rows) lines.push(`  ${k.padEnd(w)}  ${n} removed`);
    if (!report.drained) lines.push('  note: a PostgreSQL transaction older than the erasure was still running; erase again once it ended');
    return lines;
  });
  return report;
}
