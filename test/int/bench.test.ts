import { describe, expect, it } from 'vitest';
import { runBench } from '../bench/runBench.js';
import { sections } from '../bench/sections.js';

// A smoke run of `pnpm bench --quick`: every section runs and reports numbers with baselines.
// No timing is asserted here; figures live in BENCHMARKS.md.
describe('pnpm bench --quick', () => {
  it('runs every section and reports a finite positive value and baseline for each figure', async () => {
    const results = await runBench({ sections, quick: true });
    expect(results.machine?.natsServer).toMatch(/^\d+\.\d+/);
    expect(results.machine?.postgres).toMatch(/^\d+/);
    expect(results.sections.map((s) => s.name)).toEqual(sections.map((s) => s.name));
    for (const s of results.sections) {
      expect(s.error, `section ${s.name} failed`).toBeUndefined();
      expect(s.figures.length, `section ${s.name} has no figures`).toBeGreaterThan(0);
      for (const f of s.figures) {
        const label = `${s.name} / ${f.name}`;
        expect(Number.isFinite(f.value) && f.value > 0, `${label}: value ${f.value}`).toBe(true);
        expect(f.baseline, `${label}: no baseline`).toBeDefined();
        expect(Number.isFinite(f.baseline!.value) && f.baseline!.value > 0, `${label}: baseline ${f.baseline!.value}`).toBe(true);
        expect(Number.isFinite(f.ratio), `${label}: ratio ${f.ratio}`).toBe(true);
      }
    }
  }, 240_000);
});
