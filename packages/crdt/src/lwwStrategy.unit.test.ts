import { describe, expect, it } from 'vitest';
import { applyWrite } from './applyWrite.js';
import { HybridLogicalClock } from './HybridLogicalClock.js';
import { lww } from './lwwStrategy.js';
import type { LwwStored } from './StoredValue.js';

const strategy = lww<{ count: number; tags?: string[] }>();

describe('lww strategy', () => {
  it('stores value, stamp and writer, and reads back only the value', () => {
    const clock = new HybridLogicalClock('n1', () => 1000);
    const stored = strategy.prepare({ count: 1 }, { writer: 'agent-1', clock }, undefined) as LwwStored;
    expect(stored).toEqual({ s: 'lww', value: { count: 1 }, hlc: { wall: 1000, counter: 0, node: 'n1' }, writer: 'agent-1' });
    expect(strategy.read(stored)).toEqual({ count: 1 });
    expect(Object.isFrozen(stored) && Object.isFrozen(stored.value)).toBe(true);
  });

  it('lets a writer whose wall clock lags overwrite the value it read', () => {
    const ahead = new HybridLogicalClock('fast', () => 50_000);
    const behind = new HybridLogicalClock('slow', () => 10);
    const current = strategy.prepare({ count: 1 }, { writer: 'fast', clock: ahead }, undefined);
    const next = applyWrite(strategy, { count: 2 }, { writer: 'slow', clock: behind }, current);
    expect(strategy.read(next)).toEqual({ count: 2 });
  });

  it('keeps the later of two concurrent writes, whichever arrives last', () => {
    const a = new HybridLogicalClock('a', () => 100);
    const b = new HybridLogicalClock('b', () => 200);
    const early = strategy.prepare({ count: 1 }, { writer: 'a', clock: a }, undefined);
    const late = strategy.prepare({ count: 2 }, { writer: 'b', clock: b }, undefined);
    expect(strategy.read(strategy.merge(late, early))).toEqual({ count: 2 });
    expect(strategy.read(strategy.merge(early, late))).toEqual({ count: 2 });
    expect(strategy.isConflict?.(late, early)).toBe(true);
    expect(strategy.isConflict?.(early, late)).toBe(false);
  });

  it('applies an immer recipe to the current value without touching it', () => {
    const clock = new HybridLogicalClock('n', () => 1);
    const current = strategy.prepare({ count: 1, tags: ['x'] }, { writer: 'w', clock }, undefined);
    const next = strategy.prepare(
      (draft: { count: number; tags?: string[] } | undefined) => {
        if (draft === undefined) return { count: 0 };
        draft.count += 1;
        draft.tags?.push('y');
        return undefined;
      },
      { writer: 'w', clock },
      current,
    );
    expect(strategy.read(next)).toEqual({ count: 2, tags: ['x', 'y'] });
    expect(strategy.read(current)).toEqual({ count: 1, tags: ['x'] });
  });

  it('applies a recipe to the base the writer read when one is given', () => {
    const clock = new HybridLogicalClock('n', () => 1);
    const base = strategy.prepare({ count: 10 }, { writer: 'w', clock }, undefined);
    const current = strategy.prepare({ count: 99 }, { writer: 'v', clock }, base);
    const next = strategy.prepare((d: { count: number } | undefined) => ({ count: (d?.count ?? 0) + 1 }), { writer: 'w', clock, base }, current);
    expect(strategy.read(next)).toEqual({ count: 11 });
  });

  it('uses a stamp carried by the write (ctx.at) so an older command loses to a newer value', () => {
    const clock = new HybridLogicalClock('owner', () => 5000);
    const current = strategy.prepare({ count: 7 }, { writer: 'owner', clock }, undefined);
    const stale = { wall: 4000, counter: 0, node: 'client' };
    const next = applyWrite(strategy, { count: 1 }, { writer: 'client', clock, at: stale }, current);
    expect(strategy.read(next)).toEqual({ count: 7 });
    expect(clock.now().wall).toBe(5000);
  });

  it('refuses values that are not JSON data', () => {
    const clock = new HybridLogicalClock('n', () => 1);
    for (const bad of [undefined, () => undefined, { when: new Date(0) }, { n: Number.NaN }, 10n]) {
      const input = typeof bad === 'function' ? bad : bad;
      expect(() => strategy.prepare(input, { writer: 'w', clock }, undefined)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });
});
