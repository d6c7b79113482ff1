import type { BenchSection } from './BenchFigure.js';
import { benchConflicts } from './benchConflicts.js';
import { benchState } from './benchState.js';

/**
 * Every section `pnpm bench` runs, in order. Adding one is one line, e.g.
 * `{ name: 'actors', run: benchActors }` with `benchActors` imported from `@mister-smith/actors`.
 */
export const sections: readonly BenchSection[] = [
  { name: 'state', run: benchState },
  { name: 'conflict', run: benchConflicts },
];
