import type { AgentType } from '@mister-smith/actors';
import { BUILTIN_AGENT_TYPES } from '../cli/loadModules.js';
import { resolve } from 'node:path';
import { loadConfig, msError, type Stack } from '@mister-smith/core';
import { startLocalStack } from '@mister-smith/core/embedded';
import { serveMetrics, type MetricsServer } from '@mister-smith/core';
import { webConfig, type WebConfigInput } from '@mister-smith/web';
import type { Output } from '../cli/Output.js';
import { describeServers, inspectStack } from '../connection/inspectStack.js';
import { removeStackFile, stackFilePath, writeStackFile } from '../connection/stackFile.js';
import { createCliLogger } from './createCliLogger.js';
import { postgresPid } from './postgresPid.js';
import { createStatusSampler } from './sampleStatus.js';
import { startDemoFleet, type DemoFleet } from './startDemoFleet.js';
import { startRoles, type Role, type RunningRoles } from './startRoles.js';
import { startStatusLoop, type StatusLoop } from './startStatusLoop.js';
import { stopOrphans } from './stopOrphans.js';
import { waitForShutdown } from './waitForShutdown.js';

/** Options of a long-running stack (`up` and the single roles). */
export interface RunStackOptions {
  readonly roles: readonly Role[];
  readonly demo?: boolean;
  /** Stop after this many seconds (default: run until SIGINT/SIGTERM). */
  readonly duration?: number;
  /** Port of `/metrics` and `/healthz` (default METRICS_PORT; unset: not served). 0 picks a free one. */
  readonly metricsPort?: number;
  /** Seconds between status lines when stdout is not a terminal (default 5). */
  readonly statusInterval?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Host, port, token and rebuild switch of the web role (default: MISTER_SMITH_WEB_* from the environment). */
  readonly web?: WebConfigInput;
  /** Agent types the supervisor runs besides the built-in ones (`--load`). */
  readonly agentTypes?: readonly AgentType[];
}

/**
 * Runs roles in this process until SIGINT/SIGTERM or the duration: starts (or reaches) NATS and
 * PostgreSQL, provisions and migrates, starts the roles, serves metrics, runs the demo fleet and
 * shows the live status; then stops everything in order (demo, supervisor flush, bridge,
 * projections, connections drained, embedded servers stopped).
 */
export async function runStack(name: string, options: RunStackOptions, output: Output): Promise<void> {
  const config = loadConfig(options.env ?? process.env);
  const metricsPort = options.metricsPort ?? config.metricsPort;
  // The demo's failures made on purpose are summed up on the status line, not logged as warnings.
  const onPurpose = new Set<string>();
  const quiet = (f: Readonly<Record<string, unknown>>) => onPurpose.size > 0
    && ((typeof f.taskId === 'string' && onPurpose.has(f.taskId)) || (typeof f.subject === 'string' && onPurpose.has(f.subject.slice(f.subject.lastIndexOf('.') + 1))));
  const logger = createCliLogger(`mister-smith-${name}`, { service: true, output, quiet });
  const say = (message: string) => output.record({ type: 'info', message }, message);
  // Checked before anything starts: an exposed page without a token is refused (INVALID_CONFIG).
  const env = options.env ?? process.env;
  const web = options.roles.includes('web') ? webConfig(options.web, env) : undefined;
  const webPortAsked = options.web?.port !== undefined || (env.MISTER_SMITH_WEB_PORT ?? '') !== '';
  const embeddedWanted = !config.nats.servers?.length || !config.databaseUrl;
  if (embeddedWanted) {
    const found = await inspectStack(config.dataDir);
    if (found.ownerAlive && found.file!.pid !== process.pid) {
      throw msError('LOCKED', `another mister-smith process (pid ${found.file!.pid}) runs embedded servers with data in ${resolve(config.dataDir)}: stop it, use it (other commands find it through ${stackFilePath(config.dataDir)}), or set MISTER_SMITH_DATA_DIR`);
    }
    if (found.orphans.length > 0) {
      // A previous run died without stopping its servers (SIGKILL, OOM): stop them before starting
      // new ones, so no two servers ever run on one data folder.
      say(`found ${describeServers(found.orphans)} left running${found.file ? ` by mister-smith pid ${found.file.pid}, which is gone` : ''}: stopping them first`);
      await stopOrphans(found.orphans);
      say('stopped them; starting fresh servers on the same data');
    }
    if (found.file && !found.ownerAlive) await removeStackFile(config.dataDir, found.file.pid);
  }
  const shutdown = waitForShutdown(options.duration);
  let stack: Stack | undefined;
  let roles: RunningRoles | undefined;
  let metrics: MetricsServer | undefined;
  let demo: DemoFleet | undefined;
  let status: StatusLoop | undefined;
  let wroteStackFile = false;
  const errors: unknown[] = [];
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try { await fn(); } catch (e) { errors.push(e); logger.error({ err: e }, `${what} failed`); }
  };
  try {
    stack = await startLocalStack({ config, onProgress: say });
    if (stack.embedded.nats || stack.embedded.postgres) {
      const { nats: en, postgres: ep } = stack.embedded;
      const pgPid = ep ? await postgresPid(ep.dataDir) : undefined;
      await writeStackFile(config.dataDir, {
        pid: process.pid, natsUrl: stack.config.nats.servers![0]!, databaseUrl: stack.config.databaseUrl!,
        ...(config.namespace ? { namespace: config.namespace } : {}), profile: config.profile,
        ...(en ? { natsPid: en.pid, natsPort: en.port, natsDataDir: resolve(en.dataDir) } : {}),
        ...(pgPid !== undefined ? { postgresPid: pgPid } : {}),
        ...(ep ? { postgresPort: ep.port, postgresDataDir: resolve(ep.dataDir) } : {}),
        startedAt: new Date().toISOString(),
      });
      wroteStackFile = true;
      say(`other commands in this folder reach these servers through ${stackFilePath(config.dataDir)}`);
    }
    roles = await startRoles(stack, options.roles, { logger, ...(options.agentTypes?.length ? { agentTypes: [...BUILTIN_AGENT_TYPES, ...options.agentTypes] } : {}), ...(web ? { web, webPortFallback: !webPortAsked } : {}) });
    say(`${name}: running ${options.roles.join(', ')}${config.namespace ? ` in namespace ${config.namespace}` : ''}`);
    if (roles.web && web) say(`web: open ${roles.web.url} to see the fleet live (${web.token ? 'token required' : 'this machine only'}; ${web.allowRebuild ? 'rebuilds allowed' : 'read-only'})`);
    if (metricsPort !== undefined) {
      const r = roles;
      metrics = await serveMetrics(r.registry, metricsPort, () => r.health(), '127.0.0.1');
      say(`metrics: ${metrics.url}/metrics and ${metrics.url}/healthz`);
    }
    if (options.demo) {
      if (!roles.supervisor) throw msError('INVALID_ARGUMENT', '--demo needs the supervisor role');
      demo = await startDemoFleet({ supervisor: roles.supervisor, pg: stack.pg, logger, say, onPurpose });
    }
    const d = demo;
    const sampler = createStatusSampler(stack.nats, stack.topology, roles, d && (async () => {
      const x = await d.figures();
      return { commands: x.commands, passivations: x.passivations, reactivations: x.reactivations, failuresOnPurpose: x.failuresOnPurpose };
    }));
    status = startStatusLoop(sampler, output, logger, options.statusInterval ?? 5);
    say(`${name}: ready; press Ctrl-C to stop${options.duration !== undefined ? ` (stops by itself after ${options.duration} s)` : ''}`);
    const why = await shutdown.reason;
    await status.stop();
    const steps = [
      options.roles.includes('supervisor') && 'flushing agents',
      options.roles.includes('projector') && 'letting projections catch up',
      'draining NATS',
      (stack.embedded.nats || stack.embedded.postgres) && 'stopping embedded servers',
    ].filter(Boolean);
    say(`${name}: ${why === 'duration' ? 'duration reached' : why}: shutting down (${steps.join(', ')})`);
  } finally {
    if (status) await attempt('stopping the status line', () => status!.stop());
    if (demo) await attempt('stopping the demo', () => demo!.stop());
    if (roles) await attempt('stopping the roles', () => roles!.stop());
    if (metrics) await attempt('closing the metrics server', () => metrics!.close());
    if (stack) await attempt('closing connections and embedded servers', () => stack!.close());
    if (wroteStackFile) await attempt('removing the stack file', () => removeStackFile(config.dataDir, process.pid));
    shutdown.dispose();
  }
  if (errors.length > 0) throw errors[0];
  say(`${name}: stopped`);
}
