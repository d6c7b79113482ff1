import type { AgentType, Supervisor } from '@mister-smith/actors';
import { createBridge, type Bridge } from '@mister-smith/bridge';
import type { Logger, Stack } from '@mister-smith/core';
import { sleep } from '@mister-smith/core/util';
import { createProjector, type Projector } from '@mister-smith/projector';
import type { ProjectionHost } from '@mister-smith/projections';
import { createSupervisorService, createTaskWorker, type SupervisorService, type TaskWorker } from '@mister-smith/supervisor';
import { createWebServer, webConfig, type WebConfig, type WebServer } from '@mister-smith/web';
import { Registry } from 'prom-client';

/** The service roles a process can run. */
export type Role = 'supervisor' | 'projector' | 'bridge' | 'web';

/** Every role, in start order: projections first, so they see every event the others produce; the page last. */
export const ROLES: readonly Role[] = ['projector', 'bridge', 'supervisor', 'web'];

/** Options of `startRoles`. */
export interface StartRolesOptions {
  readonly logger: Logger;
  /** Agent types the supervisor runs (default: the example types `counter` and `notes`). */
  readonly agentTypes?: readonly AgentType[];
  /** Metrics registry every role registers on (default: a new one). */
  readonly registry?: Registry;
  readonly supervisorId?: string;
  /** The web role's configuration (default: `webConfig()` from the environment). */
  readonly web?: WebConfig;
  /** When the web role's port is taken, serve on a free one instead (for `up`, whose port was not asked for). */
  readonly webPortFallback?: boolean;
}

/** Roles running in this process on one stack. */
export interface RunningRoles extends AsyncDisposable {
  readonly roles: readonly Role[];
  readonly registry: Registry;
  /** The supervisor service (request/reply API on `<ns.>mister-smith.supervisor.<op>`) and its task worker. */
  readonly supervisorService: SupervisorService | undefined;
  readonly supervisor: Supervisor | undefined;
  readonly taskWorker: TaskWorker | undefined;
  /** The projector (request/reply API on `<ns.>mister-smith.projector.<verb>`) and its projection host. */
  readonly projector: Projector | undefined;
  readonly projections: ProjectionHost | undefined;
  readonly bridge: Bridge | undefined;
  /** The web role (fleet page, read API, agent sync endpoint). */
  readonly web: WebServer | undefined;
  /** What `/healthz` reports: ok while every role runs (a standby bridge or projection is fine). */
  health(): { ok: boolean } & Record<string, unknown>;
  /** Stops the roles: tasks and agents first (flushed), then the bridge, then the projections once caught up. */
  stop(): Promise<void>;
}

/** How long a stopping projector waits for its projections to reach the events the others just wrote. */
const DRAIN_TIMEOUT_MS = 5_000;

/**
 * Lets the active projections catch up with the last events (the supervisor's shutdown transitions)
 * before they stop, so the read models match what the process did. Bounded: a projection that
 * cannot catch up in time resumes from its checkpoint on the next start.
 */
async function drainProjections(host: ProjectionHost, logger: Logger): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const behind = (await host.status()).filter((s) => s.active && s.state === 'running' && s.lag > 0);
    if (behind.length === 0) return;
    if (Date.now() >= deadline) {
      logger.warn({ behind: behind.map((s) => ({ projection: s.name, lag: s.lag })) }, 'projections still behind at shutdown; they resume from their checkpoints next time');
      return;
    }
    await sleep(100);
  }
}

/**
 * Starts the given roles on a connected, provisioned and migrated stack, in one process, with the
 * services' own building blocks: `createProjector` (every projection + its request/reply API),
 * `createBridge`, and `createSupervisorService` (agents + request/reply API) with
 * `createTaskWorker` (tasks of `tasks.queue` run on their assigned agents). All register their
 * metrics on one registry.
 *
 * @example
 * await using stack = await startLocalStack();
 * await using roles = await startRoles(stack, ROLES, { logger });
 * await roles.supervisor!.spawn('counter', 'c1');
 */
export async function startRoles(stack: Stack, roles: readonly Role[], options: StartRolesOptions): Promise<RunningRoles> {
  const { logger } = options;
  const registry = options.registry ?? new Registry();
  const { nats, pg, topology } = stack;
  let supervisorService: SupervisorService | undefined;
  let taskWorker: TaskWorker | undefined;
  let projector: Projector | undefined;
  let bridge: Bridge | undefined;
  let web: WebServer | undefined;

  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    const attempt = async (what: string, fn: (() => Promise<void>) | undefined) => {
      if (!fn) return;
      try { await fn(); } catch (e) { errors.push(e); logger.error({ err: e }, `stopping the ${what} failed`); }
    };
    await attempt('web role', web && (() => web!.close()));
    await attempt('task worker', taskWorker && (() => taskWorker!.stop()));
    await attempt('supervisor', supervisorService && (() => supervisorService!.stop()));
    await attempt('bridge', bridge && (() => bridge!.stop()));
    await attempt('projector', projector && (async () => {
      await drainProjections(projector!.host, logger);
      await projector!.stop();
    }));
    if (errors.length > 0) throw errors[0];
  };

  try {
    if (roles.includes('projector')) {
      // Given the stack (not its pool), the projector opens a pool of its own: each active
      // projection holds a connection for its lock, which would starve the other roles.
      projector = await createProjector({ stack, logger: logger.child({ role: 'projector' }), registry });
    }
    if (roles.includes('bridge')) {
      bridge = createBridge({ pg, nats, topology, logger: logger.child({ role: 'bridge' }), registry });
      await bridge.start();
    }
    if (roles.includes('supervisor')) {
      const supLogger = logger.child({ role: 'supervisor' });
      supervisorService = await createSupervisorService({
        nats, pg, topology, logger: supLogger, registry,
        ...(options.agentTypes ? { agentTypes: options.agentTypes } : {}),
        ...(options.supervisorId ? { supervisorId: options.supervisorId } : {}),
      });
      taskWorker = await createTaskWorker({ supervisor: supervisorService.supervisor, nats, pg, topology, logger: supLogger.child({ component: 'tasks' }) });
    }
    if (roles.includes('web')) {
      const config = options.web ?? webConfig();
      const webOptions = { nats, pg, topology, agentState: stack.logs.agentState, logger: logger.child({ role: 'web' }), config };
      try {
        web = await createWebServer(webOptions);
      } catch (e) {
        if (!options.webPortFallback || (e as { code?: string }).code !== 'EADDRINUSE') throw e;
        logger.warn({ port: config.port }, `port ${config.port} is taken: the web role serves on a free port instead`);
        web = await createWebServer({ ...webOptions, config: { ...config, port: 0 } });
      }
    }
  } catch (e) {
    await stopAll().catch((err: unknown) => logger.error({ err }, 'cleanup after a failed start failed'));
    throw e;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopAll());
  const supervisor = supervisorService?.supervisor;
  return {
    roles, registry, supervisorService, supervisor, taskWorker, projector, projections: projector?.host, bridge, web,
    health() {
      const b = bridge?.status();
      const ok = !stopping && (!b || b.state === 'active' || b.state === 'standby');
      return {
        ok, roles,
        ...(supervisor ? { supervisor: { supervisorId: supervisor.supervisorId, agents: supervisor.counts(), dirtyKeys: supervisor.dirtyKeys() } } : {}),
        ...(taskWorker ? { tasks: taskWorker.stats() } : {}),
        ...(b ? { bridge: b } : {}),
        ...(projector ? { projector: { instanceId: projector.instanceId, projections: projector.host.names } } : {}),
        ...(web ? { web: { url: web.url, streams: web.connections() } } : {}),
      };
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
