/** What a progress line shows. */
export interface ProgressFigures {
  readonly label: string;
  readonly phase?: string;
  readonly done: number;
  readonly total: number;
  /** Items per second. */
  readonly rate: number;
  readonly etaMs: number | undefined;
}

/** Milliseconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A progress bar line for a terminal: `label [#####-----]  50%  500/1000  250 ev/s  ETA 2s  (stream)`. */
export function formatProgressBar(p: ProgressFigures, width = 24): string {
  const ratio = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(ratio * width);
  return `${p.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%  ${p.done}/${p.total}  ${p.rate} ev/s  ETA ${p.etaMs === undefined ? '?' : formatDuration(p.etaMs)}${p.phase ? `  (${p.phase})` : ''}`;
}

/** The same figures as a plain line (logs, pipes). */
export function formatProgressLine(p: ProgressFigures): string {
  const pct = p.total > 0 ? Math.round((Math.min(p.done, p.total) / p.total) * 100) : 0;
  return `${p.label}: ${p.phase ? `${p.phase} ` : ''}${p.done}/${p.total} (${pct}%) ${p.rate} ev/s eta ${p.etaMs === undefined ? '?' : formatDuration(p.etaMs)}`;
}
