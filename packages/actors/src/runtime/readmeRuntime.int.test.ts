/**
 * The README's agent-runtime example, read from README.md's own text (the block after
 * `<!-- agent-runtime:example -->`) and run by plain `node` from this package, as a user would run
 * it, against the shared NATS and PostgreSQL in this spec's namespace and database.
 */
import { fileURLToPath } from 'node:url';
import { readMarkedCodeBlock, runNodeModule, startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const actorsDir = fileURLToPath(new URL('../../', import.meta.url));

describe('README agent-runtime example', () => {
  it('runs as written: a recorded step, a cron timer, a wait resumed after passivation, the state read back in time', async () => {
    await using env = await startTestEnv();
    const code = await readMarkedCodeBlock(`${root}README.md`, 'agent-runtime:example');
    const run = await runNodeModule(code, { cwd: actorsDir, env: env.childEnv() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').slice(0, 4)).toEqual([
      'A short post about durable timers',
      "[ 'nudge: cron 0 9 * * 1-5 (Europe/Paris)' ]",
      "[ 'rev-1 approve-1' ]",
      expect.stringMatching(/^published at revision \d+$/),
    ]);
    const steps = await env.pg.db.selectFrom('mister_smith.agent_waits').selectAll().execute();
    expect(steps).toEqual([]);
  }, 60_000);
});
