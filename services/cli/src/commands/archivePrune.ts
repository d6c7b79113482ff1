import { msError } from '@mister-smith/core';
import { parseRetentionDuration, pruneArchive, type PruneReport, type RetentionPolicy } from '@mister-smith/projections';
import { formatProgressBar, formatProgressLine } from '../cli/formatProgress.js';
import { createOutput, type Output } from '../cli/Output.js';
import { openClients } from '../connection/openClients.js';

/** Options of `mister-smith archive prune`. */
export interface ArchivePruneOptions {
  /** Keep events newer than this (`30d`, `12h`, ...). */
  readonly keepFor?: string;
  /** Keep each agent's N newest events before its latest snapshot. */
  readonly keepLast?: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `mister-smith archive prune [--keep-for 30d] [--keep-last N] [--dry-run]`: applies the archive
 * retention policy once (what the projector's job does on its schedule) with a progress bar and a
 * report. Only events a snapshot covers, and that a newer event of the same key supersedes, go;
 * rebuilds still equal the live read models.
 *
 * @example
 * await archivePrune({ keepFor: '30d', dryRun: true });
 */
export async function archivePrune(options: ArchivePruneOptions = {}, output: Output = createOutput({ json: options.json === true })): Promise<PruneReport> {
  let keepLast: number | undefined;
  if (options.keepLast !== undefined) {
    keepLast = Number(options.keepLast);
    if (!/^\d+$/.test(options.keepLast) || !Number.isSafeInteger(keepLast)) throw msError('INVALID_ARGUMENT', `--keep-last takes a number of events, got ${JSON.stringify(options.keepLast)}`);
  }
  const policy: RetentionPolicy = {
    ...(options.keepFor !== undefined ? { keepForMs: parseRetentionDuration(options.keepFor) } : {}),
    ...(keepLast !== undefined ? { keepLast } : {}),
  };
  await using c = await openClients({ postgres: true, ...(options.env ? { env: options.env } : {}) });
  const started = Date.now();
  const report = await pruneArchive(c.requirePg(), {
    stream: c.topology.streams.agentState.name, policy, dryRun: options.dryRun === true,
    onProgress: (p) => {
      const rate = Math.round((p.pruned * 1000) / Math.max(1, Date.now() - started));
      const figures = { label: 'prune', done: p.pruned, total: p.total, rate, etaMs: rate > 0 ? ((p.total - p.pruned) * 1000) / rate : undefined };
      if (output.interactive) output.live(formatProgressBar(figures));
      else if (!output.json) output.record({ type: 'progress', ...p }, formatProgressLine(figures));
    },
  });
  output.clearLive();
  output.result(report, () => [
    report.dryRun
      ? `dry run: ${report.eligible} archived events of ${report.agents} agents would be pruned (${report.bytes} bytes of envelopes)`
      : `pruned ${report.pruned} archived events of ${report.agents} agents (${report.bytes} bytes of envelopes); their positions stay as $pruned placeholders`,
  ]);
  return report;
}
