import { describe, expect, it } from 'vitest';
import { applyWrite } from './applyWrite.js';
import { describeOutcome } from './describeOutcome.js';
import { HybridLogicalClock } from './HybridLogicalClock.js';
import type { VclockStored } from './StoredValue.js';
import { vectorClock } from './vectorClockStrategy.js';

function setup() {
  let wall = 1000;
  const clock = new HybridLogicalClock('n', () => (wall += 1));
  const ctx = (writer: string) => ({ writer, clock });
  return { clock, ctx };
}

describe('vectorClock strategy', () => {
  it('keeps concurrent writes as siblings and returns them all in siblings mode', () => {
    const strategy = vectorClock<string>({ onConcurrent: 'siblings' });
    const { ctx } = setup();
    const base = strategy.prepare('v0', ctx('a'), undefined);
    const fromA = strategy.prepare('A', ctx('a'), base);
    const fromB = strategy.prepare('B', ctx('b'), base);
    const merged = strategy.merge(fromA, fromB) as VclockStored;
    expect(strategy.read(merged)).toEqual(['A', 'B']);
    expect(merged.siblings.map((v) => v.clock)).toEqual([{ a: 2 }, { a: 1, b: 1 }]);
    expect(describeOutcome(fromA, fromB, merged)).toBe('siblings');
    expect(strategy.read(base)).toEqual(['v0']);
  });

  it('lets the next write, based on the siblings it read, supersede them', () => {
    const strategy = vectorClock<string>({ onConcurrent: 'siblings' });
    const { ctx } = setup();
    const base = strategy.prepare('v0', ctx('a'), undefined);
    const siblings = strategy.merge(strategy.prepare('A', ctx('a'), base), strategy.prepare('B', ctx('b'), base));
    const resolved = applyWrite(strategy, (values: readonly string[] | undefined) => (values ?? []).join('+'), ctx('c'), siblings);
    expect(strategy.read(resolved)).toEqual(['A+B']);
    expect((resolved as VclockStored).siblings[0]?.clock).toEqual({ a: 2, b: 1, c: 1 });
  });

  it('resolves concurrent writes by last-writer-wins by default in merge mode', () => {
    const strategy = vectorClock<string>();
    const { ctx } = setup();
    const base = strategy.prepare('v0', ctx('a'), undefined);
    const first = strategy.prepare('first', ctx('b'), base);
    const second = strategy.prepare('second', ctx('a'), base);
    expect(strategy.read(strategy.merge(first, second))).toBe('second');
    expect(strategy.read(strategy.merge(second, first))).toBe('second');
  });

  it('applies a user merge function to concurrent values', () => {
    const strategy = vectorClock<string[]>({ merge: (a, b) => [...new Set([...a, ...b])].sort() });
    const { ctx } = setup();
    const base = strategy.prepare(['x'], ctx('a'), undefined);
    const fromA = strategy.prepare((d: string[] | undefined) => void d?.push('a'), ctx('a'), base);
    const fromB = strategy.prepare((d: string[] | undefined) => void d?.push('b'), ctx('b'), base);
    expect(strategy.read(strategy.merge(fromA, fromB))).toEqual(['a', 'b', 'x']);
  });

  it('drops a version its successor has seen, whatever the wall clocks say', () => {
    const strategy = vectorClock<number>();
    const late = new HybridLogicalClock('late', () => 9_000_000);
    const early = new HybridLogicalClock('early', () => 1);
    const first = strategy.prepare(1, { writer: 'a', clock: late }, undefined);
    const second = strategy.prepare(2, { writer: 'b', clock: early }, first);
    const merged = strategy.merge(second, first) as VclockStored;
    expect(merged.siblings).toHaveLength(1);
    expect(strategy.read(merged)).toBe(2);
    expect(strategy.isConflict?.(second, first)).toBe(true);
    expect(describeOutcome(second, first, merged)).toBe('kept-current');
  });

  it('with a base older than current, keeps the unseen current value as a sibling', () => {
    const strategy = vectorClock<string>({ onConcurrent: 'siblings' });
    const { ctx } = setup();
    const base = strategy.prepare('v0', ctx('a'), undefined);
    const current = strategy.prepare('seen-by-nobody', ctx('b'), base);
    const next = applyWrite(strategy, 'mine', { ...ctx('c'), base }, current);
    expect(strategy.read(next)).toEqual(['seen-by-nobody', 'mine']);
  });

  it('never leaks clocks or stamps through read()', () => {
    const strategy = vectorClock<{ n: number }>();
    const { ctx } = setup();
    expect(strategy.read(strategy.prepare({ n: 1 }, ctx('a'), undefined))).toEqual({ n: 1 });
  });
});
