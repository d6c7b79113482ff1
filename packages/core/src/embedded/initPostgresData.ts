import { spawn } from 'node:child_process';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { msError, type MisterSmithError } from '../errors/MisterSmithError.js';
import type { PostgresBinaries } from './postgresBinaries.js';
import type { PostgresUser } from './postgresUser.js';
import { unreachableFor } from './unreachableFor.js';

/** How long initdb may take (it takes 1-10 s; a stuck one is killed rather than waited on forever). */
const INITDB_TIMEOUT_MS = 120_000;

/** The fix for a data folder or binary the postgres user cannot reach. */
export function unreachableFix(): string {
  return 'put the data (MISTER_SMITH_DATA_DIR) and the project in folders every user may enter (e.g. under /srv or /opt, not /root), run as a non-root user, or set DATABASE_URL';
}

/** Explains a permission failure of a program run as `user` on `path`. */
export function permissionError(what: string, path: string, user: PostgresUser | undefined, cause?: unknown): MisterSmithError {
  const closed = user ? unreachableFor(path, user) : undefined;
  const who = user ? `the ${user.name} user (uid ${user.uid}), which PostgreSQL runs as under root,` : 'this user';
  return msError('POSTGRES_UNAVAILABLE', `embedded PostgreSQL cannot ${what}: ${who} cannot reach ${path}${closed ? `: ${closed} is closed to it` : ''}; ${user ? unreachableFix() : 'fix the folder permissions, or set DATABASE_URL'}`, cause === undefined ? {} : { cause });
}

/**
 * Creates a PostgreSQL cluster in `dataDir` with initdb (as `user` under root), superuser
 * `postgres` / password `postgres`, UTF-8. Fails within seconds, in one line naming the cause and
 * the fix, when initdb cannot run (missing, unreachable binary or data folder); a stuck initdb is
 * killed after two minutes.
 */
export async function initPostgresData(bin: PostgresBinaries, dataDir: string, user: PostgresUser | undefined): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  if (user) await chown(dataDir, user.uid, user.gid);
  const pwfile = join(tmpdir(), `mister-smith-pg-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, 'postgres\n', { mode: 0o644 });
  try {
    const args = [`--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'];
    // cwd '/': the caller's folder may be closed to the postgres user.
    const child = spawn(bin.initdb, args, { ...(user ? { uid: user.uid, gid: user.gid } : {}), cwd: '/', stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => { stderr = (stderr + c).slice(-4000); });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(msError('TIMEOUT', `embedded PostgreSQL: initdb did not finish within ${INITDB_TIMEOUT_MS / 1000} s in ${dataDir} (killed): check the disk and ${bin.initdb}, or set DATABASE_URL`));
      }, INITDB_TIMEOUT_MS);
      child.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(e.code === 'EACCES' ? permissionError('run initdb', bin.initdb, user, e)
          : msError('MISSING_BINARY', `embedded PostgreSQL cannot run ${bin.initdb}: ${e.message}; reinstall ${bin.source}, or set DATABASE_URL`, { cause: e }));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) { resolve(); return; }
        const error = stderr.split('\n').find((l) => /error:/.test(l))?.trim() ?? stderr.trim().split('\n').at(-1) ?? '';
        if (/Permission denied/i.test(error)) { reject(permissionError(`initialise ${dataDir}`, dataDir, user)); return; }
        reject(msError('POSTGRES_UNAVAILABLE', `embedded PostgreSQL: initdb failed in ${dataDir} (${signal ?? `exit ${code}`}): ${error || 'no message'}; remove ${dataDir} if it is a broken earlier attempt, or set DATABASE_URL`));
      });
    });
  } finally {
    await rm(pwfile, { force: true });
  }
}
