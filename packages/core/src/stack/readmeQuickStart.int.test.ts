/**
 * The README's library-mode quick start, read from README.md's own text (the block after
 * `<!-- quick-start:library -->`) and run by plain `node` as a user would run quickstart.mjs,
 * against the shared NATS and PostgreSQL, in this spec's namespace and database.
 */
import { fileURLToPath } from 'node:url';
import { readMarkedCodeBlock, runNodeModule, startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const coreDir = fileURLToPath(new URL('../../', import.meta.url));

let env: TestEnv;
beforeAll(async () => { env = await startTestEnv({ provision: false, migrate: false }); });
afterAll(async () => { await env?.close(); });

describe('README library-mode quick start', () => {
  it('is the same block in README.md and packages/core/README.md', async () => {
    const main = await readMarkedCodeBlock(`${root}README.md`, 'quick-start:library');
    expect(await readMarkedCodeBlock(`${coreDir}README.md`, 'quick-start:library')).toBe(main);
    expect(main).toContain('openMisterSmith');
  });

  it('runs as written: openMisterSmith provisions and migrates, the write is read back and reaches PostgreSQL', async () => {
    const code = await readMarkedCodeBlock(`${root}README.md`, 'quick-start:library');
    // The namespace and database are empty: the quick start itself provisions and migrates them.
    expect(await env.nats.jsm.streams.info(env.topology.streams.agentState.name).catch(() => undefined)).toBeUndefined();
    const run = await runNodeModule(code, { cwd: coreDir, env: env.childEnv() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("{ steps: [ 'search', 'answer' ] }");
    expect(run.stdout).toMatch(/committed at \{ epoch: \d+, seq: \d+ \}/);
    const rows = await env.pg.db.selectFrom('agents.state').select(['agent_id', 'state_key', 'state_value']).execute();
    expect(rows).toEqual([{ agent_id: 'agent-1', state_key: 'plan', state_value: { steps: ['search', 'answer'] } }]);
  });
});
