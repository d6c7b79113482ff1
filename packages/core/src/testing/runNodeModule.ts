import { spawn } from 'node:child_process';

/**
 * Runs ES module source with plain `node` from `cwd` (where bare imports resolve, a package's own
 * name included), as a user would run a README example saved as a `.mjs` file. `env` adds to this
 * process's environment; a variable set to `undefined` is left out of the child's.
 *
 * @example
 * const run = await runNodeModule(await readMarkedCodeBlock('README.md', 'quick-start'), { cwd: 'packages/core', env: env.childEnv() });
 */
export function runNodeModule(code: string, options: { readonly cwd: string; readonly env?: Record<string, string | undefined> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // A variable given as `undefined` is removed from the child's environment (not inherited).
    const env = Object.fromEntries(Object.entries({ ...process.env, ...options.env }).filter((e): e is [string, string] => e[1] !== undefined));
    const child = spawn(process.execPath, ['--input-type=module'], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    child.once('error', reject);
    child.once('exit', (exit) => resolve({ code: exit, stdout, stderr }));
    child.stdin.end(code);
  });
}
