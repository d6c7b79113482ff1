/**
 * The README's agent-runtime example, read from README.md's own text (the block after
 * `<!-- agent-runtime:example -->`) and run by plain `node` from this package, as a user would run
 * it, against the shared NATS and PostgreSQL in this spec's namespace and database.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readMarkedCodeBlock, startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const actorsDir = fileURLToPath(new URL('../../', import.meta.url));

function runNode(code: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module'], { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    child.once('error', reject);
    child.once('exit', (exit) => resolve({ code: exit, stdout, stderr }));
    child.stdin.end(code);
  });
}

describe('README agent-runtime example', () => {
  it('runs as written: a recorded step, a cron timer, a wait resumed after passivation, the state read back in time', async () => {
    await using env = await startTestEnv();
    const code = await readMarkedCodeBlock(`${root}README.md`, 'agent-runtime:example');
    const run = await runNode(code, actorsDir, env.childEnv());
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
