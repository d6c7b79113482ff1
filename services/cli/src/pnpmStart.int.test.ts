import { execFileSync, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { childEnv, tempDataDir } from './cliTestKit.test.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('pnpm start (the README\'s first command) and Ctrl-C', () => {
  it('a Ctrl-C to the whole terminal process group ends "pnpm start" with exit 0 and no ELIFECYCLE', async () => {
    await using env = await startTestEnv();
    using data = tempDataDir();
    // The pnpm the README runs (npx pnpm@12.4.2), called directly: npx adds a shell of its own that dies of the SIGINT.
    const pnpm = execFileSync('npx', ['--yes', '-p', 'pnpm@12.4.2', '-c', 'command -v pnpm'], { encoding: 'utf8' }).trim();
    const child = spawn(pnpm, ['start'], { cwd: ROOT, env: childEnv({ ...env.childEnv(), MISTER_SMITH_DATA_DIR: data.path }), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => { if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL'); });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { out += c; });
    const closed = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    for (let i = 0; i < 1200 && !/^up: ready/m.test(out) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/^up: ready/m);
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group (pnpm, and
    // mister-smith, which pnpm also forwards it to).
    process.kill(-child.pid!, 'SIGINT');
    expect(await closed).toBe(0);
    expect(out).toMatch(/^up: SIGINT: shutting down/m);
    expect(out).toMatch(/^up: stopped$/m);
    expect(out).not.toMatch(/ELIFECYCLE|SIGINT again/);
  }, 180_000);
});
