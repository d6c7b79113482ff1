import { msError } from '@mister-smith/core';
import { builtinProjections, rebuildProjection, type RebuildProgress, type RebuildReport } from '@mister-smith/projections';
import { createOutput, type Output } from '../cli/Output.js';
import { formatDuration, formatProgressBar, formatProgressLine } from '../cli/formatProgress.js';
import { openClients, type Clients } from '../connection/openClients.js';
import { callProjector, projectorStatuses } from '../connection/projectorApi.js';
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

/**
 * Asks the projector that runs `name` to rebuild it (it pauses its live projection at the head),
 * showing the progress it reports in its status; undefined when no projector runs it, so the
 * caller rebuilds under the projection's lock itself.
 */
async function viaProjector(c: Clients, name: string, options: ProjectionsRebuildOptions, show: (p: RebuildProgress) => void): Promise<RebuildReport | undefined> {
  const statuses = await projectorStatuses(c);
  if (!statuses?.some((s) => s.name === name && s.active)) return undefined;
  let done = false;
  let wake: () => void = () => undefined;
  const poll = (async () => {
    while (!done) {
      await new Promise<void>((r) => { wake = r; setTimeout(r, 500); });
      if (done) break;
      const progress = (await projectorStatuses(c, 1000))?.find((s) => s.name === name && s.active)?.rebuild;
      if (progress && !done) show(progress);
    }
  })();
  try {
    // A rebuild takes as long as the replay: wait for the report (a day at most).
    return await callProjector<RebuildReport>(c, 'rebuild', { name, wait: true, ...(options.force ? { force: true } : {}) }, 24 * 3600_000);
  } finally {
    done = true;
    wake();
    await poll;
  }
}
