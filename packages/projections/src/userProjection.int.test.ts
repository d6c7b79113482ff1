/**
 * The README's "your own projection" example, read from packages/projections/README.md and run by
 * plain node: registration, the handler writing the user's own table, and a rebuild.
 */
import { fileURLToPath } from 'node:url';
import { readMarkedCodeBlock, runNodeModule, startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';

const pkgDir = fileURLToPath(new URL('../', import.meta.url));

describe('README: a user-defined projection', () => {
  it('projects into its own table, survives a rebuild, and says what it did', async () => {
    await using env = await startTestEnv();
    const code = await readMarkedCodeBlock(`${pkgDir}README.md`, 'example:user-projection');
    const run = await runNodeModule(code, { cwd: pkgDir, env: env.childEnv() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('rebuilt from 2 events');
    expect(run.stdout).toContain("[ { customer: 'ada', total: '42' } ]");
    const checkpoints = await env.pg.db.selectFrom('mister_smith.projection_checkpoints').select(['projection', 'seq']).execute();
    expect(checkpoints.map((c) => [c.projection, Number(c.seq)])).toEqual([['order-totals', 2]]);
  });
});
