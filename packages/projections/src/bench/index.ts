/**
 * The projection benchmark (`@mister-smith/projections/bench`), for `pnpm bench`.
 *
 * @packageDocumentation
 */
export { benchProjections } from './projectionBench.js';
export type { BenchEnv, BenchResult, ProjectionBenchOptions } from './projectionBench.js';
