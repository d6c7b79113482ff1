/**
 * One contract suite, run against every strategy configuration: the merge laws the state store
 * relies on around KV compare-and-set, convergence of concurrent writers, and the stored form.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyWrite } from './applyWrite.js';
import { automerge } from './automergeStrategy.js';
import type { ConflictStrategy } from './ConflictStrategy.js';
import { CrdtError } from './CrdtError.js';
import { describeOutcome } from './describeOutcome.js';
import { HybridLogicalClock } from './HybridLogicalClock.js';
import { lww } from './lwwStrategy.js';
import { decodeStored, encodeStored } from './storedCodec.js';
import { storedEquals } from './storedEquals.js';
import type { StoredValue } from './StoredValue.js';
import { vectorClock } from './vectorClockStrategy.js';

type Items = { items: string[]; map: Record<string, number> };
type Step =
  | { kind: 'write'; writer: number; base: number; input: unknown; tick: number }
  | { kind: 'merge'; a: number; b: number };

interface Subject {
  readonly name: string;
  readonly strategy: ConflictStrategy<unknown>;
  /** Arbitrary inputs to `prepare`, from any writer. */
  readonly input: fc.Arbitrary<unknown>;
  readonly numRuns: number;
}

const plainValue = fc.oneof(
  fc.integer({ min: 0, max: 3 }),
  fc.constantFrom('x', 'y'),
  fc.record({ n: fc.integer({ min: 0, max: 2 }) }),
);
const valueRecipe = fc.integer({ min: 1, max: 3 }).map((k) => (d: unknown) => (typeof d === 'number' ? d + k : k));
const docEdit = fc.oneof(
  fc.string({ minLength: 1, maxLength: 2 }).map((item) => (d: Items) => {
    d.items.push(item);
  }),
  fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 3 })).map(([key, n]) => (d: Items) => {
    d.map[key] = n;
  }),
  fc.constantFrom('a', 'b').map((key) => (d: Items) => {
    delete d.map[key];
  }),
  fc.record({ items: fc.array(fc.constantFrom('p', 'q'), { maxLength: 2 }), map: fc.constant({ a: 1 }) }),
);

const subjects: Subject[] = [
  { name: 'lww', strategy: lww(), input: fc.oneof(plainValue, valueRecipe), numRuns: 200 },
  { name: 'vclock (merge, default LWW)', strategy: vectorClock(), input: fc.oneof(plainValue, valueRecipe), numRuns: 200 },
  {
    name: 'vclock (merge, user function)',
    strategy: vectorClock<unknown>({ merge: (a, b) => (typeof a === 'number' && typeof b === 'number' ? a + b : b) }),
    input: fc.oneof(plainValue, valueRecipe),
    numRuns: 200,
  },
  { name: 'vclock (siblings)', strategy: vectorClock({ onConcurrent: 'siblings' }), input: plainValue, numRuns: 200 },
  {
    name: 'crdt (automerge)',
    strategy: automerge<Items>({ initial: { items: [], map: {} } }) as ConflictStrategy<unknown>,
    input: docEdit,
    numRuns: 40,
  },
];

function writeArb(input: fc.Arbitrary<unknown>): fc.Arbitrary<Step> {
  return fc.record({
    kind: fc.constant('write' as const),
    writer: fc.nat(3),
    base: fc.nat(),
    input,
    tick: fc.integer({ min: -5, max: 20 }),
  });
}

/** Histories start with a write, then mix writes (on any earlier value) and merges. */
function historyArb(input: fc.Arbitrary<unknown>, maxLength: number): fc.Arbitrary<Step[]> {
  const step = fc.oneof(
    { weight: 3, arbitrary: writeArb(input) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), a: fc.nat(), b: fc.nat() }) },
  );
  return fc
    .tuple(writeArb(input), fc.array(step, { maxLength: maxLength - 1 }))
    .map(([first, rest]) => [first, ...rest]);
}

/** Replay a history of writes (each on top of some earlier value, or of nothing) and merges. */
function runHistory(strategy: ConflictStrategy<unknown>, steps: readonly Step[]): StoredValue[] {
  const walls = [1000, 1000, 1000, 1000];
  const clocks = walls.map((_, i) => new HybridLogicalClock(`node-${i}`, () => walls[i] ?? 0));
  const pool: StoredValue[] = [];
  for (const step of steps) {
    if (step.kind === 'write') {
      walls[step.writer] = Math.max(0, (walls[step.writer] ?? 0) + step.tick); // clocks skew and step back
      const base = pool[step.base % (pool.length + 1)];
      const clock = clocks[step.writer] as HybridLogicalClock;
      pool.push(strategy.prepare(step.input, { writer: `w${step.writer}`, clock }, base));
    } else if (pool.length > 0) {
      pool.push(strategy.merge(pool[step.a % pool.length] as StoredValue, pool[step.b % pool.length] as StoredValue));
    }
  }
  return pool;
}

/** Same state: canonical structural equality (sorted heads for Automerge) and the same visible value. */
function expectSame(strategy: ConflictStrategy<unknown>, a: StoredValue, b: StoredValue): void {
  expect(storedEquals(a, b)).toBe(true);
  expect(strategy.read(a)).toEqual(strategy.read(b));
}

function mergeLaws(strategy: ConflictStrategy<unknown>, input: fc.Arbitrary<unknown>) {
  return fc.property(historyArb(input, 8), fc.nat(), fc.nat(), fc.nat(), (steps, i, j, k) => {
    const pool = runHistory(strategy, steps);
    const pick = (n: number) => pool[n % pool.length] as StoredValue;
    const [a, b, c] = [pick(i), pick(j), pick(k)];
    const m = (x: StoredValue, y: StoredValue) => strategy.merge(x, y);
    expectSame(strategy, m(a, b), m(b, a));
    expectSame(strategy, m(m(a, b), c), m(a, m(b, c)));
    expectSame(strategy, m(a, a), a);
  });
}

describe.each(subjects)('ConflictStrategy contract: $name', ({ strategy, input, numRuns }) => {
  // Automerge histories load and save documents at every step: allow for a busy machine.
  const heavy = { timeout: 60_000 };
  it('merge is commutative, associative and idempotent over arbitrary histories', heavy, () => {
    fc.assert(mergeLaws(strategy, input), { numRuns });
  });

  it('any order of merging N writers converges to the same value', heavy, () => {
    const orderArb = fc.array(fc.nat(100), { minLength: 4, maxLength: 4 });
    fc.assert(
      fc.property(
        fc.array(fc.array(input, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 4 }),
        orderArb,
        orderArb,
        (writes, keysA, keysB) => {
          const origin = new HybridLogicalClock('origin', () => 0);
          const first = strategy.name === 'crdt' ? (d: Items) => void d.items.push('base') : 0;
          const base = strategy.prepare(first, { writer: 'origin', clock: origin }, undefined);
          // Each writer makes its own chain of writes on the shared base, with skewed clocks.
          const finals = writes.map((inputs, w) => {
            let wall = 500 - w * 100;
            const clock = new HybridLogicalClock(`n${w}`, () => (wall += 7));
            return inputs.reduce<StoredValue>((current, next) => applyWrite(strategy, next, { writer: `w${w}`, clock }, current), base);
          });
          const permute = (keys: number[]) =>
            finals
              .map((value, i) => ({ value, key: keys[i] ?? 0, i }))
              .sort((x, y) => x.key - y.key || x.i - y.i)
              .map((e) => e.value);
          const fold = (values: StoredValue[]) => values.reduce((acc, v) => strategy.merge(acc, v));
          const expected = fold(finals);
          expectSame(strategy, fold(permute(keysA)), expected);
          expectSame(strategy, fold(permute(keysB)), expected);
          expectSame(strategy, fold([...finals].reverse()), expected);
        },
      ),
      { numRuns: Math.ceil(numRuns / 2) },
    );
  });

  it('merging a newer value written on top of the current one takes it without conflict', () => {
    const clock = new HybridLogicalClock('n', () => 1);
    const first = fc.sample(input, { numRuns: 1, seed: 1 })[0];
    const second = fc.sample(input, { numRuns: 1, seed: 2 })[0];
    const current = strategy.prepare(first, { writer: 'a', clock }, undefined);
    const incoming = strategy.prepare(second, { writer: 'b', clock }, current);
    const merged = strategy.merge(current, incoming);
    expectSame(strategy, merged, incoming);
    expect(strategy.isConflict?.(current, incoming)).toBe(false);
    expect(['took-incoming', 'unchanged']).toContain(describeOutcome(current, incoming, merged));
    // ...and the stale value arriving later changes nothing.
    expectSame(strategy, strategy.merge(merged, current), merged);
  });

  it('stored values survive JSON and parse() unchanged', heavy, () => {
    fc.assert(
      fc.property(historyArb(input, 5), (steps) => {
        for (const stored of runHistory(strategy, steps)) {
          const parsed = strategy.parse(JSON.parse(JSON.stringify(stored)));
          expect(parsed).toEqual(stored);
          expectSame(strategy, decodeStored(encodeStored(stored)), stored);
        }
      }),
      { numRuns: Math.ceil(numRuns / 4) },
    );
  });

  it('isConflict agrees with describeOutcome', heavy, () => {
    fc.assert(
      fc.property(historyArb(input, 6), fc.nat(), fc.nat(), (steps, i, j) => {
        const pool = runHistory(strategy, steps);
        const current = pool[i % pool.length] as StoredValue;
        const incoming = pool[j % pool.length] as StoredValue;
        const outcome = describeOutcome(current, incoming, strategy.merge(current, incoming));
        expect(strategy.isConflict?.(current, incoming)).toBe(!['took-incoming', 'unchanged'].includes(outcome));
      }),
      { numRuns: Math.ceil(numRuns / 4) },
    );
  });

  it('parse() rejects what is not its stored form', () => {
    const bad: unknown[] = [null, 42, 'text', [], { s: strategy.name }, { s: 'other' }, { ...{ s: strategy.name }, value: undefined }];
    for (const raw of bad) {
      expect(() => strategy.parse(raw)).toThrow(expect.objectContaining({ name: 'CrdtError', code: 'CORRUPT_ENTRY' }));
    }
    const other = strategy.name === 'lww' ? vectorClock() : lww();
    const foreign = other.prepare(1, { writer: 'w', clock: new HybridLogicalClock('n', () => 1) }, undefined);
    expect(() => strategy.parse(JSON.parse(JSON.stringify(foreign)))).toThrow(
      expect.objectContaining({ code: 'STRATEGY_MISMATCH' }),
    );
    expect(() => strategy.merge(foreign, foreign)).toThrow(expect.objectContaining({ code: 'STRATEGY_MISMATCH' }));
  });

  it('prepare() refuses a write without a writer id', () => {
    const clock = new HybridLogicalClock('n', () => 1);
    const value = fc.sample(input, { numRuns: 1, seed: 3 })[0];
    expect(() => strategy.prepare(value, { writer: '', clock }, undefined)).toThrow(CrdtError);
  });
});

describe('the contract suite can fail', () => {
  it('reports a strategy whose merge always takes the incoming value as broken', () => {
    const honest = lww();
    const broken: ConflictStrategy<unknown> = { ...honest, merge: (_current, incoming) => incoming };
    const result = fc.check(mergeLaws(broken, plainValue), { numRuns: 200, seed: 42 });
    expect(result.failed).toBe(true);
  });
});
