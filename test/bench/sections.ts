import { benchActors, benchTimers } from '@mister-smith/actors';
import { benchProjections } from '@mister-smith/projections/bench';
import type { BenchFigure, BenchSection } from './BenchFigure.js';
import { benchBackup } from './benchBackup.js';
import { benchConflicts } from './benchConflicts.js';
import { benchGroupCommit } from './benchGroupCommit.js';
import { benchLangGraph } from './benchLangGraph.js';
import { benchSnapshots } from './benchSnapshots.js';
import { benchState } from './benchState.js';

/** The projection figures, with the goal on the rebuild rate (>= 0.6x the slower raw baseline). */
async function projections(env: Parameters<BenchSection['run']>[0], opts: Parameters<BenchSection['run']>[1]): Promise<BenchFigure[]> {
  const figures = await benchProjections(env, { events: opts.quick ? 5_000 : 100_000 });
  // The raw read and upsert rates are the rebuild's baselines; the rebuild figure names the slower one.
  const raw = figures.filter((f) => !f.baseline).map((f) => `${f.name} ${f.value} ${f.unit}`).join(', ');
  return figures
    .filter((f) => f.baseline && f.name !== 'projection.rebuild.vs_slower_baseline')
    .map((f) => ({ ...f, goal: { ratioAtLeast: 0.6 }, detail: `raw rates measured in the same run: ${raw}` }));
}

/**
 * Every section `pnpm bench` runs, in order. Adding one is one line, e.g.
 * `{ name: 'actors', run: benchActors }` with `benchActors` imported from `@mister-smith/actors`.
 */
export const sections: readonly BenchSection[] = [
  { name: 'state', run: benchState },
  { name: 'conflict', run: benchConflicts },
  { name: 'group-commit', run: benchGroupCommit },
  { name: 'actors', run: (env, opts) => benchActors(env, opts) },
  { name: 'timers', run: (env, opts) => benchTimers(env, opts) },
  { name: 'projection', run: projections },
  { name: 'backup', run: benchBackup },
  { name: 'langgraph', run: benchLangGraph },
  { name: 'snapshots', run: benchSnapshots },
];
