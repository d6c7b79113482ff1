/**
 * The README's library-mode quick start, read from README.md's own text (the block after
 * `<!-- quick-start:library -->`) and run by plain `node` as a user would run quickstart.mjs,
 * against the shared NATS and PostgreSQL, in this spec's namespace and database.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readMarkedCodeBlock, startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const coreDir = fileURLToPath(new URL('../../', import.meta.url));

/** Runs ES module source with node from `cwd` (a file there may import its own package by name). */
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
    const run = await runNode(code, coreDir, env.childEnv());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("{ steps: [ 'search', 'answer' ] }");
    expect(run.stdout).toMatch(/committed at \{ epoch: \d+, seq: \d+ \}/);
    const rows = await env.pg.db.selectFrom('agents.state').select(['agent_id', 'state_key', 'state_value']).execute();
    expect(rows).toEqual([{ agent_id: 'agent-1', state_key: 'plan', state_value: { steps: ['search', 'answer'] } }]);
  });
});
