import { counterAgent, createSupervisor, notesAgent, type AgentType, type Supervisor } from '@mister-smith/actors';
import { createBridge, type Bridge } from '@mister-smith/bridge';
import { createStateStore, type Logger, type Stack, type StateStore } from '@mister-smith/core';
import { builtinProjections, createProjectionHost, type ProjectionHost } from '@mister-smith/projections';
import { Registry } from 'prom-client';
import { registerRoleMetrics } from './roleMetrics.js';

/**
 * The example agent types of `@mister-smith/actors`. The cast works around `AgentType<CounterState>`
 * not being assignable to `AgentType` in the actors package's typings (reported; the values are fine).
 */
export const EXAMPLE_AGENT_TYPES: readonly AgentType[] = [counterAgent, notesAgent] as unknown as readonly AgentType[];

/** The service roles a process can run. */
export type Role = 'supervisor' | 'projector' | 'bridge';

/** Every role, in start order: projections first, so they see every event the others produce. */
export const ROLES: readonly Role[] = ['projector', 'bridge', 'supervisor'];

/** Options of `startRoles`. */
export interface StartRolesOptions {
  readonly logger: Logger;
  /** Agent types the supervisor runs (default: the example types `counter` and `notes`). */
  readonly agentTypes?: readonly AgentType[];
  /** Metrics registry (default: a new one). */
  readonly registry?: Registry;
  readonly supervisorId?: string;
}

/** Roles running in this process on one stack. */
export interface RunningRoles extends AsyncDisposable {
  readonly roles: readonly Role[];
  readonly registry: Registry;
  readonly supervisor: Supervisor | undefined;
  readonly projections: ProjectionHost | undefined;
  readonly bridge: Bridge | undefined;
  /** What `/healthz` reports: ok when every role is running (a standby bridge or projection is fine). */
  health(): { ok: boolean } & Record<string, unknown>;
  /** Stops the roles in reverse order: the supervisor flushes its agents first. */
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
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts the given roles on a connected, provisioned and migrated stack, in one process:
 * the projection host with the built-in projections, the PostgreSQL -> NATS bridge, and a
 * supervisor with its own state store. Each role is what the package exports (`createProjectionHost`,
 * `createBridge`, `createSupervisor`), so the CLI does nothing a program could not do itself.
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
  let supervisor: Supervisor | undefined;
  let store: StateStore | undefined;
  let projections: ProjectionHost | undefined;
  let bridge: Bridge | undefined;
  const metrics = registerRoleMetrics(registry, { supervisor: () => supervisor, projections: () => projections });

  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    const attempt = async (what: string, fn: (() => Promise<void>) | undefined) => {
      if (!fn) return;
      try { await fn(); } catch (e) { errors.push(e); logger.error({ err: e }, `stopping the ${what} failed`); }
    };
    await attempt('supervisor', supervisor && (() => supervisor!.stop()));
    await attempt('state store', store && (() => store!.close()));
    await attempt('bridge', bridge && (() => bridge!.stop()));
    await attempt('projector', projections && (async () => {
      await drainProjections(projections!, logger);
      await projections!.stop();
    }));
    if (errors.length > 0) throw errors[0];
  };

  try {
    if (roles.includes('projector')) {
      const list = await builtinProjections({ nats, topology });
      projections = createProjectionHost({
        nats, pg, topology, logger: logger.child({ role: 'projector' }),
        hooks: {
          onCommit: (name, info) => metrics.projectedEvents.inc({ projection: name }, info.events),
          onDeadLetter: (name) => metrics.deadLettered.inc({ projection: name }),
        },
      }, list);
      await projections.start();
      logger.info({ projections: projections.names }, 'projector started');
    }
    if (roles.includes('bridge')) {
      bridge = createBridge({ pg, nats, topology, logger: logger.child({ role: 'bridge' }), registry });
      await bridge.start();
      logger.info({ active: bridge.status().active }, 'bridge started');
    }
    if (roles.includes('supervisor')) {
      const supLogger = logger.child({ role: 'supervisor' });
      const supervisorId = options.supervisorId;
      store = await createStateStore({ nats, pg, topology, logger: supLogger, registry }, supervisorId ? { writerId: supervisorId } : {});
      supervisor = await createSupervisor({
        nats, pg, topology, stateStore: store, logger: supLogger,
        agentTypes: options.agentTypes ?? EXAMPLE_AGENT_TYPES,
        ...(supervisorId ? { supervisorId } : {}),
      });
    }
  } catch (e) {
    await stopAll().catch((err: unknown) => logger.error({ err }, 'cleanup after a failed start failed'));
    throw e;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopAll());
  return {
    roles, registry, supervisor, projections, bridge,
    health() {
      const b = bridge?.status();
      const ok = !stopping && (!b || b.state === 'active' || b.state === 'standby');
      return {
        ok, roles,
        ...(supervisor ? { supervisor: { supervisorId: supervisor.supervisorId, agents: supervisor.counts(), dirtyKeys: supervisor.dirtyKeys() } } : {}),
        ...(b ? { bridge: b } : {}),
        ...(projections ? { projections: projections.names } : {}),
      };
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
