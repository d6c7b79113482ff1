import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startLocalNats, type LocalNats } from '@mister-smith/core/embedded';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';

/** One node of a test cluster. */
export interface ClusterNode {
  readonly index: number;
  /** Server name (`-n`), as reported in stream info `cluster.leader`. */
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly routePort: number;
  readonly dataDir: string;
  /** True while the process runs. */
  readonly running: boolean;
  /** Process id of the current incarnation (-1 while it is down). */
  readonly pid: number;
}

/** Options of `startNatsCluster`. */
export interface NatsClusterOptions {
  /** Number of nodes (default 3). */
  readonly size?: number;
  readonly clusterName?: string;
  /** Bound on start, restart and the JetStream readiness wait (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** The watchdog kills every node after this long even if the test process still runs (default 15 min). */
  readonly maxLifetimeSeconds?: number;
}

/** A JetStream cluster of real nats-server processes on loopback ports, for chaos tests. */
export interface NatsCluster extends AsyncDisposable {
  readonly nodes: readonly ClusterNode[];
  /** Client URLs of every node (pass them all so clients fail over). */
  readonly urls: readonly string[];
  readonly clusterName: string;
  /** Kills node `i` with SIGKILL and waits for the process to be gone. */
  kill(i: number): Promise<void>;
  /** Starts node `i` again on the same ports with the same data folder; resolves when it accepts clients. */
  restart(i: number): Promise<void>;
  /** The index of the node with this server name, or -1. */
  indexOf(serverName: string): number;
  /** Resolves once JetStream answers with a meta leader (bounded; TIMEOUT-style Error otherwise). */
  waitForJetStream(timeoutMs?: number): Promise<void>;
  /**
   * Resolves once each named stream has a leader and every replica is current (a restarted node
   * has caught up); bounded.
   */
  waitForStreamsCurrent(streams: readonly string[], timeoutMs?: number): Promise<void>;
  /** Stops every node (SIGKILL is fine: nothing of the cluster is kept) and removes the data folders. */
  stop(): Promise<void>;
}

const live = new Set<number>();
let exitHookInstalled = false;

/** Last resort when a test dies without afterAll: no nats-server of ours survives the worker. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of live) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  });
}

/**
 * A detached shell that outlives a worker killed with SIGKILL (no exit hooks run then): while the
 * cluster folder exists it checks four times a second that the test process is alive, and otherwise
 * kills the nodes (only processes whose command line names this folder) and removes the folder.
 * Bounded by `maxSeconds`.
 */
function startWatchdog(root: string, maxSeconds: number): number {
  const script = [
    'parent=$1; dir=$2; max=$3; i=0',
    'while [ "$i" -lt "$((max * 4))" ] && [ -d "$dir" ] && kill -0 "$parent" 2>/dev/null; do sleep 0.25; i=$((i+1)); done',
    '[ -d "$dir" ] || exit 0',
    'for p in $(cat "$dir/pids" 2>/dev/null); do',
    '  if grep -qa "$dir" "/proc/$p/cmdline" 2>/dev/null; then kill -9 "$p" 2>/dev/null; fi',
    'done',
    'sleep 0.5; rm -rf "$dir"',
  ].join('\n');
  const child = spawn('sh', ['-c', script, 'ms-nats-watchdog', String(process.pid), root, String(maxSeconds)], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid ?? -1;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; i < 10_000; i++) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`, { cause: last });
}

/**
 * Starts a JetStream cluster of `size` nats-server processes on free loopback ports (client and
 * route ports), each with its own data folder under one temp folder, and waits until the cluster
 * has formed: JetStream answers and an R`size` probe stream can be created.
 *
 * @example
 * const cluster = await startNatsCluster();
 * const nats = await connectNats({ servers: [...cluster.urls] });
 * await cluster.kill(0); await cluster.restart(0);
 * await cluster.stop();
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const clusterName = options.clusterName ?? 'ms-test';
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const root = await mkdtemp(join(tmpdir(), 'ms-nats-cluster-'));
  installExitHook();
  const watchdog = startWatchdog(root, options.maxLifetimeSeconds ?? 900);
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ port: await freePort(), routePort: await freePort() })));
  const procs: (LocalNats | undefined)[] = Array.from({ length: size }, () => undefined);
  const everyPid: number[] = [];
  const nodeOf = (i: number): ClusterNode => {
    const p = ports[i]!;
    const proc = procs[i];
    return {
      index: i, name: `n${i + 1}`, url: `nats://127.0.0.1:${p.port}`, port: p.port, routePort: p.routePort,
      dataDir: join(root, `n${i + 1}`), running: proc !== undefined, pid: proc?.pid ?? -1,
    };
  };
  const argsOf = (i: number): string[] => {
    const routes = ports.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p.routePort}`).join(',');
    return ['--cluster_name', clusterName, '--cluster', `nats://127.0.0.1:${ports[i]!.routePort}`, '--routes', routes, '-n', `n${i + 1}`];
  };
  const launch = async (i: number) => {
    const node = nodeOf(i);
    const proc = await startLocalNats({ dataDir: node.dataDir, port: node.port, args: argsOf(i), readyTimeoutMs });
    procs[i] = proc;
    live.add(proc.pid);
    everyPid.push(proc.pid);
    await writeFile(join(root, 'pids'), everyPid.join('\n'));
  };

  let admin: { nc: NatsConnection; jsm: JetStreamManager } | undefined;
  const adminConn = async () => {
    if (admin && !admin.nc.isClosed()) return admin;
    const nc = await connect({ servers: ports.map((p) => `nats://127.0.0.1:${p.port}`), timeout: 3000, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    admin = { nc, jsm: await jetstreamManager(nc, { timeout: 3000 }) };
    return admin;
  };

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    await admin?.nc.close().catch(() => undefined);
    for (let i = 0; i < size; i++) {
      const p = procs[i];
      procs[i] = undefined;
      if (p) { await p.kill(); live.delete(p.pid); }
    }
    await rm(root, { recursive: true, force: true });
    try { if (watchdog > 0) process.kill(watchdog, 'SIGKILL'); } catch { /* it left on its own */ }
  })());

  const cluster: NatsCluster = {
    get nodes() { return ports.map((_, i) => nodeOf(i)); },
    urls: ports.map((p) => `nats://127.0.0.1:${p.port}`),
    clusterName,
    async kill(i) {
      const p = procs[i];
      if (!p) return;
      procs[i] = undefined;
      await p.kill();
      live.delete(p.pid);
    },
    async restart(i) {
      if (procs[i]) return;
      await launch(i);
    },
    indexOf: (serverName) => ports.findIndex((_, i) => `n${i + 1}` === serverName),
    async waitForJetStream(timeoutMs = readyTimeoutMs) {
      await until('JetStream meta leader', timeoutMs, async () => {
        const { jsm } = await adminConn();
        await jsm.getAccountInfo();
        return true;
      });
    },
    async waitForStreamsCurrent(streams, timeoutMs = readyTimeoutMs) {
      await until(`streams ${streams.join(', ')} current on every replica`, timeoutMs, async () => {
        const { jsm } = await adminConn();
        for (const s of streams) {
          const info = await jsm.streams.info(s);
          const c = info.cluster;
          if (!c?.leader) return undefined;
          if ((c.replicas ?? []).some((r) => !r.current || r.offline)) return undefined;
          if ((c.replicas ?? []).length + 1 < Math.min(size, info.config.num_replicas)) return undefined;
        }
        return true;
      });
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };

  try {
    await Promise.all(ports.map((_, i) => launch(i)));
    await cluster.waitForJetStream();
    // The meta leader answering is not enough: an R<size> stream needs every peer to have joined.
    const probe = `MS_HARNESS_PROBE_${process.pid}`;
    await until(`an R${size} stream on a ${size}-node cluster`, readyTimeoutMs, async () => {
      const { jsm } = await adminConn();
      await jsm.streams.add({ name: probe, subjects: [`ms-harness-probe.${process.pid}`], num_replicas: size, storage: StorageType.Memory });
      return true;
    });
    const { jsm } = await adminConn();
    await jsm.streams.delete(probe);
  } catch (e) {
    await stop();
    throw e;
  }
  return cluster;
}
