import type { TestEnv } from '@mister-smith/core/testing';

/** What a figure must reach, as a ratio of its value to its baseline's value. */
export interface BenchGoal {
  /** Met when `value / baseline.value >= ratioAtLeast` (throughputs: "at least 0.7x the raw path"). */
  readonly ratioAtLeast?: number;
  /** Met when `value / baseline.value <= ratioAtMost` (latencies: "at most 3x the raw path"). */
  readonly ratioAtMost?: number;
}

/** The raw path a figure is compared with, measured in the same run. */
export interface BenchBaseline {
  readonly name: string;
  readonly value: number;
}

/** One measured number of a benchmark section. */
export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  /** `writes/s`, `rows/s`, `ms`, ... */
  readonly unit: string;
  /** Whether a larger value is better (throughputs, the default) or a smaller one (latencies). */
  readonly better?: 'higher' | 'lower';
  readonly baseline?: BenchBaseline;
  readonly goal?: BenchGoal;
  /** Context printed under the table (batch sizes, retries, payload sizes). */
  readonly detail?: string;
}

/** Options every section receives. */
export interface BenchOptions {
  /** Smaller N and shorter windows: a smoke run, not a measurement. */
  readonly quick: boolean;
  /** Prints one progress line (to stderr in the CLI). */
  readonly progress?: (line: string) => void;
}

/**
 * A group of figures measured against one isolated environment (its own NATS namespace and
 * database, created before `run` and removed after it).
 *
 * @example
 * const mySection: BenchSection = { name: 'mine', run: async (env, { quick }) => [{ name: 'ops', value: 1, unit: 'ops/s' }] };
 */
export interface BenchSection {
  readonly name: string;
  run(env: TestEnv, opts: BenchOptions): Promise<BenchFigure[]>;
}
