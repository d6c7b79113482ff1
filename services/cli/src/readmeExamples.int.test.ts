/**
 * The programmatic examples of services/cli/README.md ("Programmatic API"), run as written.
 * Each README snippet sits between `// README:` and `// end` markers; the lines after `// end`
 * check what it printed or returned. The snippets read NATS_URL / DATABASE_URL from the
 * environment, which points at this spec's namespace and database.
 */
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { counterAgent, createSupervisor } from '@mister-smith/actors';
import { subscribe } from '@mister-smith/core';
import { startLocalStack } from '@mister-smith/core/embedded';
import { agentStateProjection, rebuildProjection } from '@mister-smith/projections';
import { agentsGet, createOutput } from './index.js';

let env: TestEnv;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  env = await startTestEnv();
  for (const [k, v] of Object.entries({ ...env.childEnv(), MISTER_SMITH_DATA_DIR: undefined })) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  await env?.close();
});

describe('README programmatic examples', () => {
  it('startLocalStack, createSupervisor, subscribe, rebuildProjection and the CLI functions run as documented', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      // README: startLocalStack
      await using stack = await startLocalStack(); // NATS_URL / DATABASE_URL, else embedded nats-server + PostgreSQL
      console.log(stack.provisioned.created.length, 'created;', stack.migrated.applied.length, 'migrations applied');
      // end
      expect(stack.embedded).toEqual({});
      expect(stack.topology.namespace).toBe(env.namespace);

      // README: createSupervisor
      await using supervisor = await createSupervisor({ ...stack, agentTypes: [counterAgent] });
      const { agentId } = await supervisor.spawn('counter', 'readme-counter');
      const reply = await supervisor.command(agentId, 'increment', { by: 2 });
      console.log(reply.result); // 2
      // end
      expect(reply.result).toBe(2);
      expect(log).toHaveBeenCalledWith(2);

      // README: subscribe
      const sub = subscribe(stack.logs.agentState, { agentId: 'readme-counter', from: 'start' });
      for await (const item of sub) {
        if (item.kind === 'caught-up') break; // every stored event has been seen; live ones would follow
        if (item.kind === 'event') console.log(item.record.seq, item.record.event.type);
      }
      await sub.stop();
      // end
      expect(log).toHaveBeenCalledWith(expect.any(Number), 'StateChanged');
      expect(log).toHaveBeenCalledWith(expect.any(Number), 'AgentLifecycleChanged');

      await supervisor.stop();

      // README: rebuildProjection
      const report = await rebuildProjection(stack, agentStateProjection(), {
        onProgress: (p) => console.log(`${p.phase} ${p.done}/${p.total} events, ${p.rate} ev/s, ETA ${p.etaMs ?? '?'} ms`),
      });
      console.log(`rebuilt ${report.projection}: ${report.events} events, checkpoint ${report.checkpoint}`);
      // end
      expect(report.events).toBeGreaterThan(0);
      expect(log).toHaveBeenCalledWith(expect.stringMatching(/^swap \d+\/\d+ events/));

      // README: CLI functions
      const entry = await agentsGet('readme-counter', 'count', {}, createOutput({ json: true }));
      console.log(entry); // { agentId: 'readme-counter', key: 'count', value: 2, version: {...}, strategy: 'lww', source: 'kv' }
      // end
      expect(entry).toMatchObject({ agentId: 'readme-counter', key: 'count', value: 2 });
    } finally {
      log.mockRestore();
    }
  });
});
