import { msError, MisterSmithError } from '@mister-smith/core';
import { builtinProjections, rebuildProjection, type ProjectionStatus, type RebuildProgress, type RebuildReport } from '@mister-smith/projections';
import { notAvailable } from '../cli/CliError.js';
import { createOutput, type Output } from '../cli/Output.js';
import { formatDuration, formatProgressBar, formatProgressLine } from '../cli/formatProgress.js';
import { openClients, type Clients } from '../connection/openClients.js';
import { callProjectorIfRunning, projectorApiBuilt } from '../connection/projectorApi.js';
import { createCliLogger } from '../runtime/createCliLogger.js';

/** Options of `mister-smith projections rebuild`. */
export interface ProjectionsRebuildOptions {
  /** Rebuild every built-in projection (instead of `name`). */
  readonly all?: boolean;
  /** Rebuild even when archive + stream have gaps (they are reported). */
  readonly force?: boolean;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith projections rebuild NAME|--all`: replays archive + stream into shadow tables and
 * swaps them in (`rebuildProjection`), with a progress bar (done, rate, ETA) on a terminal and
 * plain lines otherwise. A running projector is asked to do it (it pauses its live projection
 * at the head); with none, the CLI rebuilds itself under the projection's lock.
 *
 * @example
 * const [report] = await projectionsRebuild('agent-state');
 */
export async function projectionsRebuild(name: string | undefined, options: ProjectionsRebuildOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<RebuildReport[]> {
  if (options.all && name !== undefined) throw msError('INVALID_ARGUMENT', 'give a projection name or --all, not both');
  if (!options.all && name === undefined) throw msError('INVALID_ARGUMENT', 'give a projection name or --all (see "mister-smith projections status" for the names)');
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const projections = await builtinProjections({ nats: c.nats, topology: c.topology });
  const known = projections.map((p) => p.name);
  if (name !== undefined && !known.includes(name)) {
    throw msError('UNKNOWN_PROJECTION', `no projection named ${JSON.stringify(name)} (known: ${known.join(', ')})`, { details: { name, known } });
  }
  const targets = options.all ? projections : projections.filter((p) => p.name === name);
  const reports: RebuildReport[] = [];
  for (const p of targets) {
    const show = progressPrinter(p.name, output);
    let report: RebuildReport;
    try {
      report = (await viaProjector(c, p.name, options, show)) ?? await rebuildProjection(
        { nats: c.nats, pg: c.requirePg(), topology: c.topology, logger: createCliLogger('mister-smith-rebuild', { service: false }) },
        p, { onProgress: show, ...(options.force ? { force: true } : {}) },
      );
    } catch (e) {
      output.clearLive();
      if (MisterSmithError.is(e, 'LOCKED') && !projectorApiBuilt()) {
        throw notAvailable(`rebuilding ${p.name} while a projector runs it: the projector request/reply API (services/projector) is not built yet; stop the projector (or "up") and run the rebuild again`);
      }
      throw e;
    }
    output.clearLive();
    reports.push(report);
    output.record({ type: 'report', ...report }, `rebuilt ${report.projection} (${report.mode}): ${report.read} messages read, ${report.events} applied (${report.fromArchive} from the archive, ${report.fromStream} from the stream), ${report.deadLettered} dead-lettered, checkpoint ${report.checkpoint}, ${formatDuration(report.durationMs)}, ${report.rate} ev/s${report.contiguous ? '' : `, GAPS: ${report.gaps.map((g) => `${g.fromSeq}..${g.toSeq}`).join(', ')}`}`);
  }
  return reports;
}

/** Shows progress: a redrawn bar on a terminal, a line per phase and every 2 s otherwise. */
function progressPrinter(label: string, output: Output): (p: RebuildProgress) => void {
  let lastPhase: string | undefined;
  let lastLine = 0;
  return (p) => {
    const figures = { label, phase: p.phase, done: p.done, total: p.total, rate: p.rate, etaMs: p.etaMs };
    if (output.interactive) { output.live(formatProgressBar(figures)); return; }
    const now = Date.now();
    if (p.phase === lastPhase && now - lastLine < 2000) return;
    lastPhase = p.phase;
    lastLine = now;
    output.record({ type: 'progress', ...p }, formatProgressLine(figures));
  };
}

/** Asks a running projector to rebuild, polling its status for progress; undefined when none runs. */
async function viaProjector(c: Clients, name: string, options: ProjectionsRebuildOptions, show: (p: RebuildProgress) => void): Promise<RebuildReport | undefined> {
  const probe = await callProjectorIfRunning<ProjectionStatus[]>(c, 'status', {}, 3000);
  if (!probe) return undefined;
  let done = false;
  const poll = (async () => {
    while (!done) {
      await new Promise((r) => setTimeout(r, 250));
      if (done) break;
      const statuses = await callProjectorIfRunning<ProjectionStatus[]>(c, 'status', {}, 3000).catch(() => undefined);
      const mine = statuses?.find((s) => s.name === name)?.rebuild;
      if (mine && !done) show(mine);
    }
  })();
  try {
    const report = await callProjectorIfRunning<RebuildReport>(c, 'rebuild', { name, ...(options.force ? { force: true } : {}) }, 24 * 3600_000);
    if (!report) throw msError('NATS_UNAVAILABLE', `the projector stopped answering during the rebuild of ${name}`);
    return report;
  } finally {
    done = true;
    await poll;
  }
}
