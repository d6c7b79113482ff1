import { startTestEnv } from '@mister-smith/core/testing';
import type { BenchFigure, BenchSection } from './BenchFigure.js';
import { machineInfo, type MachineInfo } from './machineInfo.js';

/** A figure with its ratio to the baseline and whether its goal was met. */
export interface FigureResult extends BenchFigure {
  /** `value / baseline.value`, when there is a baseline. */
  readonly ratio?: number;
  /** Whether the goal was met, when there is a goal. */
  readonly goalMet?: boolean;
}

/** One section's outcome: its figures, or the error that stopped it. */
export interface SectionResult {
  readonly name: string;
  readonly durationMs: number;
  readonly figures: readonly FigureResult[];
  /** The failure (with its causes) when the section threw. */
  readonly error?: string;
}

/** Everything one `pnpm bench` run measured. */
export interface BenchResults {
  readonly startedAt: string;
  readonly durationMs: number;
  readonly quick: boolean;
  readonly machine?: MachineInfo;
  readonly sections: readonly SectionResult[];
}

/** Options of `runBench`. */
export interface RunBenchOptions {
  readonly sections: readonly BenchSection[];
  readonly quick: boolean;
  /** Run only the section of this name. */
  readonly only?: string;
  readonly progress?: (line: string) => void;
}

/**
 * Runs each section against its own fresh `startTestEnv()` (removed afterwards, also on
 * failure), computes ratios and goals, and records a failing section's error instead of
 * stopping the others.
 *
 * @example
 * const results = await runBench({ sections, quick: true });
 */
export async function runBench(options: RunBenchOptions): Promise<BenchResults> {
  const progress = options.progress ?? (() => undefined);
  const chosen = options.only === undefined ? options.sections : options.sections.filter((s) => s.name === options.only);
  if (chosen.length === 0) throw new Error(`no bench section named ${JSON.stringify(options.only)}; sections: ${options.sections.map((s) => s.name).join(', ')}`);
  const startedAt = new Date();
  let machine: MachineInfo | undefined;
  const results: SectionResult[] = [];
  for (const section of chosen) {
    const t0 = performance.now();
    progress(`${section.name}: starting an isolated environment`);
    try {
      const env = await startTestEnv();
      let figures: BenchFigure[];
      try {
        machine ??= await machineInfo(env);
        figures = await section.run(env, { quick: options.quick, progress });
      } finally {
        await env.close();
      }
      results.push({ name: section.name, durationMs: performance.now() - t0, figures: figures.map(withRatio) });
      progress(`${section.name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      results.push({ name: section.name, durationMs: performance.now() - t0, figures: [], error: describeError(e) });
      progress(`${section.name}: FAILED: ${describeError(e)}`);
    }
  }
  return { startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), quick: options.quick, ...(machine ? { machine } : {}), sections: results };
}

function withRatio(f: BenchFigure): FigureResult {
  if (!f.baseline) return f;
  const ratio = f.value / f.baseline.value;
  const g = f.goal;
  if (!g || (g.ratioAtLeast === undefined && g.ratioAtMost === undefined)) return { ...f, ratio };
  const goalMet = (g.ratioAtLeast === undefined || ratio >= g.ratioAtLeast) && (g.ratioAtMost === undefined || ratio <= g.ratioAtMost);
  return { ...f, ratio, goalMet };
}

/** The error's message followed by its causes (`a: caused by b`), and its code when it has one. */
export function describeError(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 5; depth++) {
    const err = c as { message?: unknown; code?: unknown; cause?: unknown };
    const msg = typeof err.message === 'string' ? err.message : String(c);
    parts.push(typeof err.code === 'string' ? `[${err.code}] ${msg}` : msg);
    c = err.cause;
  }
  return parts.join(': caused by ');
}
