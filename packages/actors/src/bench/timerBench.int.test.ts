import { startTestEnv } from '@mister-smith/core/testing';
import { describe, expect, it } from 'vitest';
import { benchTimers } from './timerBench.js';

// A smoke run with tiny sizes: every timer fires, every figure is a finite number. No timing is asserted.
describe('benchTimers', () => {
  it('reports fires/s and lateness p50/p99 for ACTIVE and COLD agents', async () => {
    await using env = await startTestEnv();
    const figures = await benchTimers(env, { timers: 40, perAgent: 4, windowMs: 300 });
    expect(figures.map((f) => f.name)).toEqual([
      'timers.active.fires_per_s', 'timers.active.lateness_p50', 'timers.active.lateness_p99',
      'timers.cold.fires_per_s', 'timers.cold.lateness_p50', 'timers.cold.lateness_p99',
    ]);
    for (const f of figures) expect(Number.isFinite(f.value) && f.value >= 0, f.name).toBe(true);
    expect(figures.every((f) => f.detail?.startsWith('40/40 fired'))).toBe(true);
  }, 120_000);
});
