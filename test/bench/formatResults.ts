import type { BenchResults, FigureResult } from './runBench.js';

/** A number with precision that suits its size: 12,345 / 123.4 / 1.234. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

function goalText(f: FigureResult): string {
  const g = f.goal;
  if (!g) return '-';
  return [g.ratioAtLeast !== undefined ? `>= ${g.ratioAtLeast}x` : '', g.ratioAtMost !== undefined ? `<= ${g.ratioAtMost}x` : ''].filter(Boolean).join(', ') || '-';
}

/** The machine lines, one table of every figure, then the details and any section failures. */
export function formatResults(r: BenchResults): string {
  const m = r.machine;
  const lines: string[] = [
    m ? `machine: ${m.cpuModel} x ${m.cpuCount} CPUs, ${m.memoryGiB} GiB, ${m.platform}` : 'machine: unknown (no section started)',
    m ? `versions: Node ${m.node}, nats-server ${m.natsServer}, PostgreSQL ${m.postgres}` : '',
    `run: ${r.startedAt}, ${(r.durationMs / 1000).toFixed(1)} s${r.quick ? ', QUICK (smoke run: numbers are not measurements)' : ''}`,
    '',
  ];
  const header = ['section', 'figure', 'value', 'unit', 'baseline', 'baseline value', 'ratio', 'goal', 'met'];
  const rows = r.sections.flatMap((s) => s.figures.map((f) => [
    s.name, f.name, formatNumber(f.value), f.unit, f.baseline?.name ?? '-', f.baseline ? formatNumber(f.baseline.value) : '-',
    f.ratio !== undefined ? `${f.ratio.toFixed(2)}x` : '-', goalText(f), f.goalMet === undefined ? '-' : f.goalMet ? 'yes' : 'NO',
  ]));
  const numeric = new Set([2, 5, 6]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ').trimEnd();
  lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line));
  const details = r.sections.flatMap((s) => s.figures.filter((f) => f.detail).map((f) => `  [${s.name}] ${f.name}: ${f.detail}`));
  if (details.length > 0) lines.push('', 'details:', ...details);
  const failed = r.sections.filter((s) => s.error !== undefined);
  if (failed.length > 0) lines.push('', 'FAILED sections:', ...failed.map((s) => `  ${s.name}: ${s.error}`));
  return lines.join('\n');
}
