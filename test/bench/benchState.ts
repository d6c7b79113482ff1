import type { TestEnv } from '@mister-smith/core/testing';
import type { BenchFigure, BenchOptions } from './BenchFigure.js';
import { benchStateFlush } from './benchStateFlush.js';
import { benchStateReads } from './benchStateReads.js';
import { benchStateWrites } from './benchStateWrites.js';

/** The state-plane section (issue 4): writes, write-behind flush and reads, each next to its raw baseline. */
export async function benchState(env: TestEnv, opts: BenchOptions): Promise<BenchFigure[]> {
  return [...await benchStateWrites(env, opts), ...await benchStateFlush(env, opts), ...await benchStateReads(env, opts)];
}
