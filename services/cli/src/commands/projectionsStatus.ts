import { builtinProjections, ProjectionRunner, readCheckpoint, type ProjectionStatus } from '@mister-smith/projections';
import { createOutput, type Output } from '../cli/Output.js';
import { formatTable } from '../cli/formatTable.js';
import type { DatabaseHandle, NatsHandle, Topology } from '@mister-smith/core';
import { openClients } from '../connection/openClients.js';
import { projectorStatuses } from '../connection/projectorApi.js';

/** Options of `mister-smith projections status`. */
export interface ProjectionsStatusOptions {
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A projection's status and who reported it. */
export type ProjectionStatusView = ProjectionStatus & {
  /** `projector`: a running projector answered; `database`: read from checkpoints and streams (state as last recorded). */
  readonly source: 'projector' | 'database';
};

/**
 * `mister-smith projections status`: checkpoint, head, lag, state and rate of every built-in
 * projection, from a running projector when one answers, else from the checkpoint table and the
 * streams (the state is then the one last recorded).
 *
 * @example
 * const lagging = (await projectionsStatus()).filter((p) => p.lag > 0);
 */
export async function projectionsStatus(options: ProjectionsStatusOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<ProjectionStatusView[]> {
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const statuses = await readProjectionStatuses({ nats: c.nats, pg: c.requirePg(), topology: c.topology });
  output.result(statuses, () => formatTable(
    ['PROJECTION', 'STATE', 'CHECKPOINT', 'HEAD', 'LAG', 'EV/S', 'DEAD', 'NOTE'],
    statuses.map((s) => [s.name, s.state, String(s.checkpoint.seq), String(s.head), String(s.lag), String(s.rate), String(s.deadLettered), s.reason ?? (s.rebuild ? `rebuilding ${s.rebuild.done}/${s.rebuild.total}` : '')]),
  ));
  return statuses;
}

/** The status of every built-in projection (see `projectionsStatus`). */
export async function readProjectionStatuses(deps: { readonly nats: NatsHandle; readonly pg: DatabaseHandle; readonly topology: Topology }): Promise<ProjectionStatusView[]> {
  const live = await projectorStatuses(deps);
  if (live) return live.map((s) => ({ ...s, source: 'projector' as const }));
  const { pg } = deps;
  const out: ProjectionStatusView[] = [];
  for (const p of await builtinProjections(deps, { kv: false })) {
    // A runner that is never started only reads: its checkpoint row and the stream's head.
    const runner = new ProjectionRunner(p, deps);
    try {
      const s = await runner.status();
      const row = await readCheckpoint(pg.db, p.name);
      const { reason: _reason, ...rest } = s;
      out.push({
        ...rest,
        state: row ? (row.status as ProjectionStatus['state']) : 'stopped',
        ...(row?.reason ? { reason: row.reason } : row ? {} : { reason: 'never ran' }),
        source: 'database',
      });
    } finally {
      await runner.stop();
    }
  }
  return out;
}
