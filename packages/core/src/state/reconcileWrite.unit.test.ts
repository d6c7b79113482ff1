import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { automerge, HybridLogicalClock, lww, storedEquals, vectorClock, type ConflictStrategy, type StoredValue } from '@mister-smith/crdt';
import { reconcileWrite } from './reconcileWrite.js';
import type { VersionedValue } from './VersionedValue.js';

const value = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.record({ n: fc.integer(), tag: fc.string({ maxLength: 4 }) }));
const strategies: ConflictStrategy[] = [lww(), vectorClock({ onConcurrent: 'siblings' }), vectorClock({ onConcurrent: 'merge' })];
const strategy = fc.constantFrom(...strategies);

/** A writer with a deterministic clock (wall time advances by one per stamp). */
function writer(name: string, start = 1_000) {
  let t = start;
  return { writer: name, clock: new HybridLogicalClock(name, () => t++) };
}

function versioned(s: ConflictStrategy, stored: StoredValue, seq = 1): VersionedValue {
  return { epoch: 1, seq, strategy: s.name, value: s.read(stored), stored };
}

describe('reconcileWrite', () => {
  it('a delete appends a tombstone whatever the key held, and reports no conflict', () => {
    fc.assert(fc.property(strategy, fc.option(value, { nil: undefined }), (s, held) => {
      const current = held === undefined ? undefined : versioned(s, s.prepare(held, writer('a'), undefined));
      expect(reconcileWrite({ strategy: s, ctx: writer('b'), current, incoming: { op: 'delete' } })).toEqual({ next: null });
    }));
  });

  it('a write made against the current value stores the input and reports no conflict', () => {
    fc.assert(fc.property(strategy, fc.option(value, { nil: undefined }), value, (s, held, input) => {
      const a = writer('a');
      const current = held === undefined ? undefined : versioned(s, s.prepare(held, a, undefined));
      const r = reconcileWrite({ strategy: s, ctx: writer('b', 500), current, incoming: { op: 'put', input } });
      expect(r.conflict).toBeUndefined();
      // siblings mode reads every concurrent version: here exactly one, the input
      expect(s.read(r.next!)).toEqual(s === strategies[1] ? [input] : input);
    }));
  });

  it('after a lost race the prepared write merges into the winner: the strategy’s merge, idempotent, the same whichever lost', () => {
    fc.assert(fc.property(strategy, value, value, (s, va, vb) => {
      const a = s.prepare(va, writer('a'), undefined);
      const b = s.prepare(vb, writer('b'), undefined);
      const bLost = reconcileWrite({ strategy: s, ctx: writer('b'), current: versioned(s, a), incoming: { op: 'put', input: vb, prepared: b } });
      const aLost = reconcileWrite({ strategy: s, ctx: writer('a'), current: versioned(s, b), incoming: { op: 'put', input: va, prepared: a } });
      expect(storedEquals(bLost.next!, s.merge(a, b))).toBe(true);
      expect(storedEquals(bLost.next!, aLost.next!)).toBe(true);
      const again = reconcileWrite({ strategy: s, ctx: writer('b'), current: versioned(s, bLost.next!), incoming: { op: 'put', input: vb, prepared: b } });
      expect(storedEquals(again.next!, bLost.next!)).toBe(true);
      // A conflict is reported exactly when the result is not simply the incoming write.
      expect(bLost.conflict !== undefined).toBe(!storedEquals(bLost.next!, b));
    }));
  });

  it('an LWW recipe that lost a race runs again on the newer value (read-modify-write loses no increment)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 20 }), (start, others) => {
      const s = lww<number>();
      const inc = (n: number | undefined) => (n ?? 0) + 1;
      const me = writer('me');
      const first = reconcileWrite({ strategy: s, ctx: me, current: versioned(s, s.prepare(start, writer('x'), undefined)), incoming: { op: 'put', input: inc } });
      const newer = versioned(s, s.prepare(start + others, writer('x', 5_000), undefined), 2);
      const retried = reconcileWrite({ strategy: s, ctx: me, current: newer, incoming: { op: 'put', input: inc, prepared: first.next! } });
      expect(s.read(retried.next!)).toBe(start + others + 1);
      expect(retried.conflict).toBeUndefined();
    }));
  });

  it('a vector-clock write made against an older base keeps the concurrent value as a sibling and reports it', () => {
    const s = vectorClock<string>({ onConcurrent: 'siblings' });
    const base = s.prepare('base', writer('a'), undefined);
    const current = s.prepare('theirs', writer('c'), base);
    const r = reconcileWrite({ strategy: s, ctx: writer('b'), current: versioned(s, current, 2), base, incoming: { op: 'put', input: 'mine' } });
    expect(r.conflict).toBe('siblings');
    expect(new Set(s.read(r.next!) as unknown as string[])).toEqual(new Set(['theirs', 'mine']));
  });

  it('an LWW write made against an older base takes over with no conflict (it is stamped after what it replaces)', () => {
    const s = lww<string>();
    const base = s.prepare('base', writer('a'), undefined);
    const current = s.prepare('theirs', writer('c', 2_000), base);
    const r = reconcileWrite({ strategy: s, ctx: writer('b'), current: versioned(s, current, 2), base, incoming: { op: 'put', input: 'mine' } });
    expect(r).toEqual({ next: expect.anything() });
    expect(s.read(r.next!)).toBe('mine');
  });

  it('Automerge writes that lost a race merge every change', () => {
    const s = automerge<{ items: string[] }>({ initial: { items: [] } });
    const push = (item: string) => (d: { items: string[] }) => { d.items.push(item); };
    const a = reconcileWrite({ strategy: s, ctx: writer('a'), current: undefined, incoming: { op: 'put', input: push('a') } }).next!;
    const b = reconcileWrite({ strategy: s, ctx: writer('b'), current: undefined, incoming: { op: 'put', input: push('b') } }).next!;
    const r = reconcileWrite({ strategy: s, ctx: writer('b'), current: versioned(s, a), incoming: { op: 'put', input: push('b'), prepared: b } });
    expect([...s.read(r.next!).items].sort()).toEqual(['a', 'b']);
    expect(r.conflict).toBe('merged');
  });

  it('adopts a plain value (an SQL edit, stored null) as the base of the next write', () => {
    const s = lww<{ n: number }>();
    const edited: VersionedValue = { epoch: 1, seq: 3, strategy: 'lww', value: { n: 41 }, stored: null };
    const r = reconcileWrite({ strategy: s, ctx: writer('a'), current: edited, incoming: { op: 'put', input: (d: { n: number }) => { d.n += 1; } } });
    expect(s.read(r.next!)).toEqual({ n: 42 });
  });
});
