import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive, readStackRecord, type StackFile } from './stackFile.js';

/** An embedded server found running on a data folder. */
export interface FoundServer {
  readonly kind: 'nats' | 'postgres';
  readonly pid: number;
  /** Its port, when known (stack.json, or `postmaster.pid`). */
  readonly port: number | undefined;
  readonly dataDir: string;
}

/** What `inspectStack` found in a data folder. */
export interface StackInspection {
  readonly dataDir: string;
  /** The stack file, running or stale. */
  readonly file: StackFile | undefined;
  /** The process that wrote the stack file still runs. */
  readonly ownerAlive: boolean;
  /** Embedded servers running on this folder's data (the owner's, or orphans when it is gone). */
  readonly servers: readonly FoundServer[];
  /** Servers running without their owner: a `mister-smith up` killed with SIGKILL leaves them behind. */
  readonly orphans: readonly FoundServer[];
}

/** A process's argv (Linux /proc), or undefined when it is gone or there is no /proc. */
function argvOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES') return undefined;
    throw e;
  }
}

const HAS_PROC = existsSync('/proc/self/cmdline');

/** Whether `argv` is a nats-server storing JetStream data in `natsDir`. */
function isNatsOn(argv: readonly string[], natsDir: string): boolean {
  if (!argv[0]?.endsWith('nats-server')) return false;
  const i = argv.findIndex((a) => a === '-sd' || a === '--store_dir');
  return i >= 0 && argv[i + 1] !== undefined && resolve(argv[i + 1]!) === natsDir;
}

/** nats-server processes whose store directory is `natsDir` (a scan of /proc; none elsewhere). */
function natsServersOn(natsDir: string): number[] {
  if (!HAS_PROC) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = argvOf(Number(entry));
    if (argv && isNatsOn(argv, natsDir) && isAlive(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

/** The postmaster running on `pgDir` according to its `postmaster.pid` (pid and port), if it runs. */
function postmasterOn(pgDir: string): { pid: number; port: number | undefined } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined; // a stale file: PostgreSQL ignores it too
  const argv = HAS_PROC ? argvOf(pid) : undefined;
  if (HAS_PROC && !argv?.some((a) => /postgres/.test(a))) return undefined; // the pid was reused by something else
  const port = Number(lines[3]);
  return { pid, port: Number.isInteger(port) && port > 0 ? port : undefined };
}

/**
 * Looks at a data folder of `mister-smith up`: its `stack.json` (running or stale) and the embedded
 * servers that run on its data (`<dataDir>/nats`, `<dataDir>/postgres`), found through the recorded
 * pids, `postmaster.pid` and, on Linux, the process table. When the owner is gone, the servers
 * still running are orphans.
 *
 * @example
 * const { orphans } = await inspectStack('.mister-smith');
 */
export async function inspectStack(dataDir: string): Promise<StackInspection> {
  const root = resolve(dataDir);
  const file = await readStackRecord(root);
  const ownerAlive = file !== undefined && isAlive(file.pid);
  const natsDir = resolve(file?.natsDataDir ?? join(root, 'nats'));
  const pgDir = resolve(file?.postgresDataDir ?? join(root, 'postgres'));
  const servers: FoundServer[] = [];
  const natsPids = new Set(natsServersOn(natsDir));
  // Without /proc, trust the recorded pid while it lives.
  if (!HAS_PROC && file?.natsPid !== undefined && isAlive(file.natsPid)) natsPids.add(file.natsPid);
  for (const pid of natsPids) servers.push({ kind: 'nats', pid, port: pid === file?.natsPid ? file.natsPort : undefined, dataDir: natsDir });
  const pm = postmasterOn(pgDir);
  if (pm) servers.push({ kind: 'postgres', pid: pm.pid, port: pm.port ?? file?.postgresPort, dataDir: pgDir });
  return { dataDir: root, file, ownerAlive, servers, orphans: ownerAlive ? [] : servers };
}

/** One line naming servers: `nats-server (pid 12, port 4333) and PostgreSQL (pid 13, port 5999)`. */
export function describeServers(servers: readonly FoundServer[]): string {
  return servers.map((s) => `${s.kind === 'nats' ? 'nats-server' : 'PostgreSQL'} (pid ${s.pid}${s.port !== undefined ? `, port ${s.port}` : ''}, data in ${s.dataDir})`).join(' and ');
}
