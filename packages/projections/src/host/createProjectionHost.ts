import { msError } from '@mister-smith/core';
import { rebuildProjection, type RebuildOptions, type RebuildReport } from '../rebuild/rebuildProjection.js';
import { ProjectionRunner, type RunnerDeps, type RunnerOptions } from '../runner/ProjectionRunner.js';
import type { Projection } from '../types/Projection.js';
import type { ProjectionStatus } from '../types/ProjectionStatus.js';

/** Several projections run together, addressed by name. */
export interface ProjectionHost extends AsyncDisposable {
  readonly names: readonly string[];
  /** Starts every runner (each waits for its lock). */
  start(): Promise<void>;
  status(): Promise<ProjectionStatus[]>;
  statusOf(name: string): Promise<ProjectionStatus>;
  pause(name: string): Promise<ProjectionStatus>;
  resume(name: string): Promise<ProjectionStatus>;
  /** Rebuilds `name` (see `rebuildProjection`); LOCKED when another instance runs it or a rebuild is under way. */
  rebuild(name: string, options?: RebuildOptions): Promise<RebuildReport>;
  /** The runner of `name` (UNKNOWN_PROJECTION when there is none). */
  runner(name: string): ProjectionRunner;
  stop(): Promise<void>;
}

/**
 * Creates runners for `projections` and lets them be started, inspected, paused, resumed and
 * rebuilt by name.
 *
 * @example
 * await using host = createProjectionHost({ nats, pg, topology, logger }, await builtinProjections({ nats, topology }));
 * await host.start();
 * await host.rebuild('agent-state', { onProgress: console.log });
 */
export function createProjectionHost(deps: RunnerDeps, projections: readonly Projection[], options: RunnerOptions = {}): ProjectionHost {
  const runners = new Map<string, ProjectionRunner>();
  for (const p of projections) {
    if (runners.has(p.name)) throw msError('INVALID_ARGUMENT', `two projections are named ${p.name}`);
    runners.set(p.name, new ProjectionRunner(p, deps, options));
  }
  const rebuilding = new Set<string>();
  const abort = new AbortController();
  const runner = (name: string): ProjectionRunner => {
    const r = runners.get(name);
    if (!r) throw msError('UNKNOWN_PROJECTION', `no projection named ${JSON.stringify(name)} (known: ${[...runners.keys()].join(', ')})`, { details: { name, known: [...runners.keys()] } });
    return r;
  };
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    abort.abort();
    await Promise.all([...runners.values()].map((r) => r.stop()));
  })());
  return {
    names: [...runners.keys()],
    async start() {
      for (const r of runners.values()) await r.start();
    },
    status: () => Promise.all([...runners.values()].map((r) => r.status())),
    statusOf: (name) => runner(name).status(),
    async pause(name) {
      const r = runner(name);
      await r.pause();
      return r.status();
    },
    async resume(name) {
      const r = runner(name);
      r.resume();
      return r.status();
    },
    async rebuild(name, rebuildOptions = {}) {
      const r = runner(name);
      if (rebuilding.has(name)) throw msError('LOCKED', `a rebuild of ${name} is already under way`, { details: { name } });
      rebuilding.add(name);
      const signal = rebuildOptions.signal ? AbortSignal.any([rebuildOptions.signal, abort.signal]) : abort.signal;
      try {
        return await rebuildProjection({ ...deps, ...(r.active ? { live: r } : {}) }, r.projection, { ...rebuildOptions, signal });
      } finally {
        rebuilding.delete(name);
      }
    },
    runner,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
