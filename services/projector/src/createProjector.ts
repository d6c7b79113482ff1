import { randomBytes } from 'node:crypto';
import { createDatabase, MisterSmithError, msError, type DatabaseHandle, type NatsHandle, type Stack, type Topology } from '@mister-smith/core';
import {
  archiveProjectionName, builtinProjections, createProjectionHost, createRetentionJob, retentionFromEnv,
  type RetentionJob, type RetentionPolicy,
  type Projection, type ProjectionHost, type ProjectionStatus, type RebuildOptions, type RebuildReport, type RunnerOptions,
} from '@mister-smith/projections';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createHeadroomMonitor } from './createHeadroomMonitor.js';
import { createProjectorMetrics } from './projectorMetrics.js';
import type { Headroom } from './retentionHeadroom.js';
import type { ProjectorErrorBody, ProjectorReply, ProjectorRequest, ProjectorStatusResult } from './ProjectorProtocol.js';
import { PROJECTOR_VERBS, projectorSubject, type ProjectorVerb } from './projectorSubjects.js';

/** Options of `createProjector`: a stack, or NATS + PostgreSQL + topology. */
export interface ProjectorOptions {
  readonly stack?: Stack;
  readonly nats?: NatsHandle;
  /** A pool to share. Each active projection holds one connection (its lock), so size it for them plus a few. */
  readonly pg?: DatabaseHandle;
  /**
   * Open a pool of the projector's own, sized for its projections (default with a `stack` and no
   * `pg`: the stack's database URL), so locks held by projections never starve the other roles.
   */
  readonly databaseUrl?: string;
  readonly topology?: Topology;
  readonly logger?: Logger;
  /** Metrics are registered here (default: a new registry, see `Projector.registry`). */
  readonly registry?: Registry;
  /** The projections to run (default: `builtinProjections`). */
  readonly projections?: readonly Projection[];
  /** Only these built-in projections (ignored with `projections`). */
  readonly only?: readonly string[];
  readonly runner?: RunnerOptions;
  /** Names this instance in replies and logs (default: random). */
  readonly instanceId?: string;
  /**
   * Archive retention, run by the instance that holds the `archive.agent-state` lock (default: from
   * `MISTER_SMITH_ARCHIVE_KEEP_FOR` / `_KEEP_LAST` / `_PRUNE_INTERVAL`; unset, retention is off).
   */
  readonly retention?: { readonly policy: RetentionPolicy; readonly intervalMs?: number } | false;
  /** How often the retention headroom is measured between scrapes (default 30 s). */
  readonly headroomIntervalMs?: number;
}

/** A running projector. */
export interface Projector extends AsyncDisposable {
  readonly instanceId: string;
  readonly host: ProjectionHost;
  readonly registry: Registry;
  /** The request subjects it answers, by verb. */
  readonly subjects: Readonly<Record<ProjectorVerb, string>>;
  status(): Promise<ProjectionStatus[]>;
  pause(name: string): Promise<ProjectionStatus>;
  resume(name: string): Promise<ProjectionStatus>;
  rebuild(name: string, options?: RebuildOptions): Promise<RebuildReport>;
  /** The archive retention job, when retention is configured. */
  readonly retention: RetentionJob | undefined;
  /** Retention headroom of the projections this instance runs (also the `mister_smith_retention_headroom_*` gauges). */
  headroom(): Promise<Record<string, Headroom>>;
  /** Unsubscribes, aborts rebuilds in flight and stops every projection (locks released). */
  stop(): Promise<void>;
}

/**
 * Runs all projections (each takes its advisory lock; a second projector waits as standby) and
 * answers NATS requests on `<ns.>mister-smith.projector.{status,pause,resume,rebuild}` with JSON
 * replies `{ ok, instance, result | error }`. Every instance answers `status`; pause, resume and
 * rebuild are answered by the instance that runs the projection; an unknown name gets the typed
 * error UNKNOWN_PROJECTION.
 *
 * @example
 * await using projector = await createProjector({ stack, logger });
 * const reply = await stack.nats.nc.request(projector.subjects.status, '{}');
 */
export async function createProjector(options: ProjectorOptions): Promise<Projector> {
  const nats = options.nats ?? options.stack?.nats;
  const topology = options.topology ?? options.stack?.topology;
  if (!nats || !topology) throw msError('INVALID_ARGUMENT', 'createProjector needs a stack, or nats, pg and topology');
  const instanceId = options.instanceId ?? `projector-${randomBytes(4).toString('hex')}`;
  const logger = (options.logger ?? pino({ name: 'mister-smith-projector' })).child({ instance: instanceId });
  const projections = options.projections ?? (await builtinProjections({ nats, topology }, options.only ? { only: options.only } : {}));
  const ownUrl = options.databaseUrl ?? (options.pg ? undefined : options.stack?.config.databaseUrl);
  const ownPool = ownUrl !== undefined
    ? await createDatabase(ownUrl, { max: projections.length + 4, applicationName: `mister-smith-projector:${instanceId}` })
    : undefined;
  const pg = ownPool ?? options.pg ?? options.stack?.pg;
  if (!pg) throw msError('INVALID_ARGUMENT', 'createProjector needs a stack, or nats, pg and topology');
  const registry = options.registry ?? new Registry();
  const metrics = createProjectorMetrics(registry);
  let host: ProjectionHost;
  try {
    host = createProjectionHost({ nats, pg, topology, logger, hooks: metrics.hooks }, projections, options.runner);
  } catch (e) {
    await ownPool?.close();
    throw e;
  }
  metrics.bind(host, (e) => logger.warn({ err: e }, 'could not read projection statuses for metrics'));
  const rebuilds: Record<string, ProjectorStatusResult['rebuilds'][string]> = {};

  const rebuild = async (name: string, rebuildOptions: RebuildOptions = {}) => {
    try {
      const report = await host.rebuild(name, {
        ...rebuildOptions,
        onProgress: (p) => {
          logger.debug({ progress: p }, `rebuilding ${name}`);
          rebuildOptions.onProgress?.(p);
        },
      });
      rebuilds[name] = { ok: true, report };
      return report;
    } catch (e) {
      rebuilds[name] = { ok: false, error: errorBody(e) };
      throw e;
    }
  };

  const owns = (name: string | undefined): boolean => {
    if (name === undefined || !host.names.includes(name)) return true; // answered with a typed error
    return host.runner(name).active;
  };

  const handle = async (verb: ProjectorVerb, request: ProjectorRequest): Promise<unknown> => {
    const name = request.name;
    const need = (): string => {
      if (typeof name !== 'string') throw msError('INVALID_ARGUMENT', `${verb} needs a projection name`, { details: { verb } });
      host.runner(name); // UNKNOWN_PROJECTION
      return name;
    };
    switch (verb) {
      case 'status': return { projections: await host.status(), rebuilds } satisfies ProjectorStatusResult;
      case 'pause': return host.pause(need());
      case 'resume': return host.resume(need());
      case 'rebuild': {
        const n = need();
        const opts = request.force ? { force: true } : {};
        if (request.wait === false) {
          rebuild(n, opts).catch((e: unknown) => logger.error({ err: e, projection: n }, `rebuild of ${n} failed`));
          return { accepted: true, projection: n };
        }
        return rebuild(n, opts);
      }
    }
  };

  const subjects = Object.fromEntries(PROJECTOR_VERBS.map((v) => [v, projectorSubject(topology.namespace, v)])) as Record<ProjectorVerb, string>;
  const inflight = new Set<Promise<void>>();
  const subs = PROJECTOR_VERBS.map((verb) => {
    const sub = nats.nc.subscribe(subjects[verb]);
    const loop = (async () => {
      for await (const m of sub) {
        const p = (async () => {
          let request: ProjectorRequest = {};
          let reply: ProjectorReply;
          try {
            const text = m.data.length > 0 ? new TextDecoder().decode(m.data) : '{}';
            const parsed: unknown = JSON.parse(text);
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw msError('INVALID_ARGUMENT', 'a projector request is a JSON object');
            request = parsed as ProjectorRequest;
            // Commands for a projection another instance runs are that instance's to answer.
            if (verb !== 'status' && !owns(request.name)) return;
            reply = { ok: true, instance: instanceId, result: await handle(verb, request) };
          } catch (e) {
            if (!MisterSmithError.is(e)) logger.error({ err: e, verb }, 'projector request failed');
            reply = { ok: false, instance: instanceId, error: errorBody(e instanceof SyntaxError ? msError('INVALID_ARGUMENT', `request is not JSON: ${e.message}`) : e) };
          }
          if (m.reply) m.respond(JSON.stringify(reply));
        })().finally(() => { inflight.delete(p); });
        inflight.add(p);
      }
    })();
    return { sub, loop };
  });

  try {
    await host.start();
  } catch (e) {
    for (const { sub } of subs) sub.unsubscribe();
    await host.stop();
    await ownPool?.close();
    throw e;
  }
  logger.info({ projections: host.names, subjects }, 'projector started');
  const headroom = createHeadroomMonitor({ host, nats, registry, logger, ...(options.headroomIntervalMs !== undefined ? { intervalMs: options.headroomIntervalMs } : {}) });
  const retentionConfig = options.retention === false ? undefined : options.retention ?? retentionFromEnv(process.env);
  const archiveName = archiveProjectionName('agentState');
  const retention = retentionConfig && host.names.includes(archiveName) ? createRetentionJob({
    pg, stream: topology.streams.agentState.name, policy: retentionConfig.policy,
    ...(retentionConfig.intervalMs !== undefined ? { intervalMs: retentionConfig.intervalMs } : {}),
    isLeader: () => host.runner(archiveName).active,
    onProgress: (p) => logger.debug({ progress: p }, 'pruning the event archive'),
    onReport: (r) => logger.info({ retention: r }, `archive retention: pruned ${r.pruned} events of ${r.agents} agents`),
    onError: (e) => logger.warn({ err: e }, 'archive retention run failed; the next run retries'),
  }) : undefined;

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    headroom.stop();
    await retention?.stop();
    for (const { sub } of subs) sub.unsubscribe();
    await Promise.all(subs.map((s) => s.loop));
    await host.stop();
    await Promise.all(inflight);
    await ownPool?.close();
    logger.info('projector stopped');
  })());

  return {
    instanceId, host, registry, subjects, retention,
    headroom: () => headroom.check(),
    status: () => host.status(),
    pause: (name) => host.pause(name),
    resume: (name) => host.resume(name),
    rebuild,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function errorBody(e: unknown): ProjectorErrorBody {
  if (MisterSmithError.is(e)) return e.toJSON();
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), details: {} };
}
