import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CrdtError } from './CrdtError.js';
import { HLC_MAX_COUNTER, compareHlc, type HlcTimestamp } from './HlcTimestamp.js';
import { HybridLogicalClock } from './HybridLogicalClock.js';

const wallArb = fc.integer({ min: 0, max: 2_000_000 });
const remoteArb: fc.Arbitrary<HlcTimestamp> = fc.record({
  wall: wallArb,
  counter: fc.integer({ min: 0, max: 1000 }),
  node: fc.constantFrom('a', 'me', 'z', 'node-2'),
});
// The wall clock walks forwards and backwards (small steps and rare big jumps); remote stamps
// are near the local clock's state, so equal walls on both sides (the subtle branch) are common.
const stepArb = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -10, max: 10 }) },
  { weight: 1, arbitrary: fc.integer({ min: -100_000, max: 100_000 }) },
);
const opArb = fc.oneof(
  fc.record({ kind: fc.constant('now' as const), step: stepArb }),
  fc.record({
    kind: fc.constant('receive' as const),
    step: stepArb,
    remoteOffset: fc.integer({ min: -3, max: 3 }),
    remoteCounter: fc.integer({ min: 0, max: 5 }),
    remoteNode: fc.constantFrom('a', 'me', 'z', 'node-2'),
  }),
);

describe('HybridLogicalClock', () => {
  it('is strictly monotonic under arbitrary wall readings (including backward steps) and receives', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
        let wall = 1000;
        const clock = new HybridLogicalClock('me', () => wall);
        let previous: HlcTimestamp | undefined;
        for (const op of ops) {
          wall = Math.max(0, wall + op.step);
          const base = previous?.wall ?? wall;
          const remote =
            op.kind === 'receive'
              ? { wall: Math.max(0, base + op.remoteOffset), counter: op.remoteCounter, node: op.remoteNode }
              : undefined;
          const ts = remote === undefined ? clock.now() : clock.receive(remote);
          if (previous !== undefined) expect(compareHlc(ts, previous)).toBeGreaterThan(0);
          if (remote !== undefined) expect(compareHlc(ts, remote)).toBeGreaterThan(0);
          expect(ts.wall).toBeGreaterThanOrEqual(wall); // never behind the wall clock
          expect(ts.node).toBe('me');
          expect(clock.last()).toEqual(ts);
          previous = ts;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('follows the wall clock when it moves forward and counts when it stands still or steps back', () => {
    let wall = 100;
    const clock = new HybridLogicalClock('n', () => wall);
    expect(clock.last()).toBeUndefined();
    expect(clock.now()).toEqual({ wall: 100, counter: 0, node: 'n' });
    expect(clock.now()).toEqual({ wall: 100, counter: 1, node: 'n' });
    wall = 50;
    expect(clock.now()).toEqual({ wall: 100, counter: 2, node: 'n' });
    wall = 200;
    expect(clock.now()).toEqual({ wall: 200, counter: 0, node: 'n' });
  });

  it('jumps past a remote timestamp from the future', () => {
    const clock = new HybridLogicalClock('n', () => 10);
    expect(clock.receive({ wall: 500, counter: 7, node: 'r' })).toEqual({ wall: 500, counter: 8, node: 'n' });
    expect(clock.now()).toEqual({ wall: 500, counter: 9, node: 'n' });
  });

  it('borrows the next millisecond when the counter is exhausted', () => {
    const clock = new HybridLogicalClock('n', () => 10);
    const ts = clock.receive({ wall: 10, counter: HLC_MAX_COUNTER, node: 'r' });
    expect(ts).toEqual({ wall: 11, counter: 0, node: 'n' });
  });

  it('refuses remote stamps beyond maxDriftMs', () => {
    const clock = new HybridLogicalClock('n', () => 1000, { maxDriftMs: 100 });
    expect(clock.receive({ wall: 1100, counter: 0, node: 'r' }).wall).toBe(1100);
    expect(() => clock.receive({ wall: 1101, counter: 0, node: 'r' })).toThrow(
      expect.objectContaining({ code: 'CLOCK_DRIFT' }),
    );
  });

  it('rejects invalid nodes, remotes and injected clocks', () => {
    expect(() => new HybridLogicalClock('')).toThrow(CrdtError);
    const clock = new HybridLogicalClock('n', () => Number.NaN);
    expect(() => clock.now()).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const ok = new HybridLogicalClock('n', () => 1);
    expect(() => ok.receive({ wall: -1, counter: 0, node: 'x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('defaults to the system clock', () => {
    const ts = new HybridLogicalClock('n').now();
    expect(Math.abs(ts.wall - Date.now())).toBeLessThan(60_000);
  });
});

describe('compareHlc', () => {
  it('is a total order: antisymmetric and transitive, zero only for equal stamps', () => {
    fc.assert(
      fc.property(remoteArb, remoteArb, remoteArb, (a, b, c) => {
        expect(Math.sign(compareHlc(a, b))).toBe(-Math.sign(compareHlc(b, a)));
        expect(compareHlc(a, b) === 0).toBe(a.wall === b.wall && a.counter === b.counter && a.node === b.node);
        if (compareHlc(a, b) <= 0 && compareHlc(b, c) <= 0) expect(compareHlc(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });

  it('orders by wall, then counter, then node', () => {
    expect(compareHlc({ wall: 1, counter: 9, node: 'z' }, { wall: 2, counter: 0, node: 'a' })).toBeLessThan(0);
    expect(compareHlc({ wall: 2, counter: 1, node: 'z' }, { wall: 2, counter: 2, node: 'a' })).toBeLessThan(0);
    expect(compareHlc({ wall: 2, counter: 2, node: 'a' }, { wall: 2, counter: 2, node: 'b' })).toBeLessThan(0);
  });
});
