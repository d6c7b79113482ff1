import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { msError } from '@mister-smith/core';

/**
 * What a running `mister-smith up` (or role) with embedded servers writes to
 * `<dataDir>/stack.json`, so that other commands find its servers without NATS_URL/DATABASE_URL.
 */
export interface StackFile {
  /** The process that runs the stack. */
  readonly pid: number;
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly namespace?: string;
  readonly profile: 'production' | 'test';
  /** Child processes of the embedded servers (absent for servers reached by URL). */
  readonly natsPid?: number;
  readonly postgresPid?: number;
  /** Ports and data folders of the embedded servers, so a later run finds them if this process dies. */
  readonly natsPort?: number;
  readonly postgresPort?: number;
  readonly natsDataDir?: string;
  readonly postgresDataDir?: string;
  readonly metricsUrl?: string;
  readonly startedAt: string;
}

/** Path of the stack file in a data folder. */
export function stackFilePath(dataDir: string): string {
  return join(resolve(dataDir), 'stack.json');
}

/** Writes the stack file (mode 0600: the database URL carries the embedded password). */
export async function writeStackFile(dataDir: string, file: StackFile): Promise<string> {
  const path = stackFilePath(dataDir);
  await mkdir(resolve(dataDir), { recursive: true });
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** Removes the stack file, if it is still the one of `pid`. */
export async function removeStackFile(dataDir: string, pid: number): Promise<void> {
  const current = await readStackFile(dataDir);
  if (current?.pid === pid) await rm(stackFilePath(dataDir), { force: true });
}

/**
 * Reads the stack file of a running stack; undefined when there is none or its process is gone
 * (a stack killed with SIGKILL leaves a stale file behind: `readStackRecord` reads that one too).
 */
export async function readStackFile(dataDir: string): Promise<StackFile | undefined> {
  const file = await readStackRecord(dataDir);
  return file && isAlive(file.pid) ? file : undefined;
}

/** Reads the stack file whether or not its process still runs; undefined when there is none. */
export async function readStackRecord(dataDir: string): Promise<StackFile | undefined> {
  let text: string;
  try {
    text = await readFile(stackFilePath(dataDir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw msError('INVALID_CONFIG', `cannot read ${stackFilePath(dataDir)}: ${(e as Error).message}`, { cause: e });
  }
  let file: StackFile;
  try {
    file = JSON.parse(text) as StackFile;
  } catch (e) {
    throw msError('INVALID_CONFIG', `${stackFilePath(dataDir)} is not JSON: remove it`, { cause: e });
  }
  if (typeof file?.pid !== 'number' || typeof file.natsUrl !== 'string' || typeof file.databaseUrl !== 'string') {
    throw msError('INVALID_CONFIG', `${stackFilePath(dataDir)} is not a stack file: remove it`);
  }
  return file;
}

/**
 * Whether a process with this pid runs. A zombie (exited, not yet reaped by a parent that is gone)
 * does not count: on Linux its /proc state is `Z`.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!HAS_PROC) return true; // macOS: the signal said it exists
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false; // gone since the signal
    throw e;
  }
}

const HAS_PROC = existsSync('/proc/self/stat');
