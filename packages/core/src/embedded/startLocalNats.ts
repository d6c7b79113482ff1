import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { msError } from '../errors/MisterSmithError.js';
import { freePort } from './freePort.js';

/** A nats-server child process. */
export interface LocalNats extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL (chaos tests). */
  kill(): Promise<void>;
}

/** Options of `startLocalNats`. */
export interface LocalNatsOptions {
  readonly dataDir: string;
  readonly port?: number;
  /** Extra nats-server arguments (cluster routes, auth config). */
  readonly args?: readonly string[];
  /** Remove the data folder on stop (default false). */
  readonly ephemeral?: boolean;
  readonly binary?: string;
  readonly readyTimeoutMs?: number;
}

const INSTALL_HINT = 'install nats-server 2.9+ and put it on PATH: Debian/Ubuntu "apt-get install nats-server", macOS "brew install nats-server", or a release binary from the NATS project; or set NATS_URL to an existing server';

/**
 * Starts `nats-server -js` from PATH on a free loopback port with its data in `dataDir`, and
 * resolves once it accepts clients. Says how to install it when the binary is missing.
 */
export async function startLocalNats(options: LocalNatsOptions): Promise<LocalNats> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir;
  await mkdir(dataDir, { recursive: true });
  // A config file may set jetstream { store_dir } itself, and nats-server refuses it given twice;
  // one that does not would otherwise store under the shared /tmp/jetstream, where every run's
  // streams pile up and their reservations outgrow max_file_store.
  const configSetsStoreDir = await configStoreDirSet(options.args ?? []);
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), ...(configSetsStoreDir ? [] : ['-sd', dataDir]), ...(options.args ?? [])];
  // Its own process group: a Ctrl-C in the terminal reaches only our process, which stops the
  // server after its own shutdown (which still needs NATS). An exit hook covers a crash of ours.
  const child = spawn(options.binary ?? 'nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const onExit = () => { child.kill('SIGTERM'); };
  process.on('exit', onExit);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(msError('TIMEOUT', `nats-server did not become ready within ${options.readyTimeoutMs ?? 10000} ms: ${log.slice(-500)}`)); }, options.readyTimeoutMs ?? 10_000);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? msError('MISSING_BINARY', `nats-server was not found on PATH: ${INSTALL_HINT}`, { cause: e }) : msError('NATS_UNAVAILABLE', `cannot start nats-server: ${e.message}`, { cause: e }));
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(msError('NATS_UNAVAILABLE', `nats-server exited with code ${code} before it was ready: ${log.slice(-500)}`)); });
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-4000);
      if (log.includes('Server is ready')) { clearTimeout(timer); resolve(); }
    });
  });
  child.removeAllListeners('exit');
  child.once('exit', () => process.off('exit', onExit));
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  return handle(child, port, dataDir, options.ephemeral ?? false);
}

/** Whether a `-c`/`--config` file among `args` sets its own JetStream `store_dir`. */
async function configStoreDirSet(args: readonly string[]): Promise<boolean> {
  const i = args.findIndex((a) => a === '-c' || a === '--config');
  const file = i >= 0 ? args[i + 1] : undefined;
  if (file === undefined) return false;
  const text = await readFile(file, 'utf8').catch((e: unknown) => {
    throw msError('INVALID_CONFIG', `cannot read the nats-server config file ${file}: ${(e as Error).message}`, { cause: e });
  });
  return /\b(store_dir|storedir)\s*[:=\s]/.test(text.replace(/(#|\/\/).*$/gm, ''));
}

function handle(child: ChildProcess, port: number, dataDir: string, ephemeral: boolean): LocalNats {
  const exited = new Promise<void>((r) => { if (child.exitCode !== null || child.signalCode !== null) r(); else child.once('exit', () => r()); });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
    if (ephemeral) await rm(dataDir, { recursive: true, force: true });
  })());
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    dataDir,
    stop,
    async kill() { child.kill('SIGKILL'); await exited; },
    [Symbol.asyncDispose]: stop,
  };
}

/** The default data folder of the embedded nats-server. */
export function defaultNatsDataDir(root: string): string {
  return join(root, 'nats');
}
