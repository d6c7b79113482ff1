import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { benchActors } from './actorBench.js';

// A smoke run with tiny sizes: every figure is a finite positive number with a baseline. No timing is asserted.
describe('benchActors', () => {
  it('reports activations/s, commands/s and heap per agent, each with a baseline', async () => {
    await using env = await startTestEnv();
    const figures = await benchActors(env, { quick: true, activations: 40, residentAgents: 200, commandWindowMs: 300 });
    expect(figures.map((f) => f.unit)).toEqual(['agents/s', 'commands/s', 'bytes']);
    for (const f of figures) {
      expect(Number.isFinite(f.value) && f.value > 0, f.name).toBe(true);
      expect(f.baseline && Number.isFinite(f.baseline.value) && f.baseline.value > 0, f.name).toBe(true);
    }
  }, 60_000);
});
