import { startTestEnv } from '@mister-smith/core/testing';
import { createSupervisorService } from '@mister-smith/supervisor';
import { describe, expect, it } from 'vitest';
import type { AgentsCommandResult } from './commands/agentsCommand.js';
import type { AgentsSetResult } from './commands/agentsSet.js';
import { expectOneLineError, runCli, tempDataDir } from './cliTestKit.test.js';

describe('mister-smith agents command / set through the owner (built CLI, real servers)', () => {
  it('sends a command through the owner (activating a COLD agent), prints the reply, and a retried --command-id is answered, not run again', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    using data = tempDataDir();
    const e = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path };
    const svc = await createSupervisorService({ nats: env.nats, pg: env.pg, topology: env.topology, supervisorId: 'sup-cli' });
    try {
      await svc.supervisor.spawn('counter', 'cc1');
      await svc.supervisor.stopAgent('cc1'); // not ACTIVE anywhere: the command activates it

      const first = await runCli(['agents', 'command', 'cc1', 'increment', '{"by":2}', '--command-id', 'order-42', '--json'], e);
      expect(first.code).toBe(0);
      expect(first.json<AgentsCommandResult>()).toMatchObject({ agentId: 'cc1', commandId: 'order-42', result: 2, changedKeys: ['count'] });
      expect(svc.supervisor.lifecycleOf('cc1')).toBe('ACTIVE');

      const retried = await runCli(['agents', 'command', 'cc1', 'increment', '{"by":2}', '--command-id', 'order-42'], e);
      expect(retried.code).toBe(0);
      expect(retried.stdout).toMatch(/^2 \(command order-42, seq \d+, already applied: recorded reply\)$/m);
      expect(expectOneLineError(await runCli(['agents', 'command', 'cc1', 'increment', '{"by":3}', '--command-id', 'order-42'], e))).toMatch(/^mister-smith: IDEMPOTENCY_CONFLICT: /);

      const generated = await runCli(['agents', 'command', 'cc1', 'increment'], e);
      expect(generated.stdout).toMatch(/^3 \(command [0-9a-f-]{36}, seq \d+\)$/m);
      expect(expectOneLineError(await runCli(['agents', 'command', 'cc1', 'explode'], e))).toMatch(/^mister-smith: UNKNOWN_COMMAND: /);

      // agents set on an owned agent goes to the owner, which writes it as one of its commands.
      const set = await runCli(['agents', 'set', 'cc1', 'count', '10', '--json'], e);
      expect(set.code).toBe(0);
      expect(set.json<AgentsSetResult>()).toMatchObject({ agentId: 'cc1', key: 'count', value: 10, owner: 'sup-cli', via: 'owner' });
      expect((await svc.supervisor.get('cc1', 'count')).value).toBe(10);
      expect((await runCli(['agents', 'command', 'cc1', 'increment', '--json'], e)).json<AgentsCommandResult>().result).toBe(11);
    } finally {
      await svc.stop();
    }
    // Nobody owns it now: the CLI writes through the state plane, fenced.
    const direct = await runCli(['agents', 'set', 'cc1', 'count', '20', '--json'], e);
    expect(direct.json<AgentsSetResult>()).toMatchObject({ value: 20, owner: null, via: 'state-plane' });
  }, 120_000);
});
