import { describe, expect, it } from 'vitest';
import { automerge } from './automergeStrategy.js';
import { resolveStrategy, validateStrategySpec, type StrategySpec } from './resolveStrategy.js';
import { isConflictStrategy, strategyFor } from './strategyFor.js';
import { vectorClock } from './vectorClockStrategy.js';

describe('strategyFor', () => {
  it('returns one shared instance per built-in name', () => {
    expect(strategyFor('lww').name).toBe('lww');
    expect(strategyFor('vclock').name).toBe('vclock');
    expect(strategyFor('crdt').name).toBe('crdt');
    expect(strategyFor('lww')).toBe(strategyFor('lww'));
  });

  it('rejects unknown names', () => {
    expect(() => strategyFor('mvcc' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => strategyFor('toString' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('recognises strategies', () => {
    expect(isConflictStrategy(vectorClock())).toBe(true);
    expect(isConflictStrategy({ name: 'lww' })).toBe(false);
  });
});

describe('resolveStrategy', () => {
  const plan = automerge({ initial: { steps: [] } });
  const spec: StrategySpec = {
    default: 'vclock',
    keys: { plan, 'notes*': 'crdt', 'notes-private*': 'lww', '*': 'vclock', counter: 'lww' },
  };

  it('prefers an exact key, then the longest prefix, then the default', () => {
    expect(resolveStrategy(spec, 'plan')).toBe(plan);
    expect(resolveStrategy(spec, 'counter').name).toBe('lww');
    expect(resolveStrategy(spec, 'notes-1').name).toBe('crdt');
    expect(resolveStrategy(spec, 'notes-private-1').name).toBe('lww');
    expect(resolveStrategy(spec, 'planner').name).toBe('vclock');
    expect(resolveStrategy({ default: 'crdt', keys: { 'a*': 'lww' } }, 'b').name).toBe('crdt');
  });

  it('defaults to lww', () => {
    expect(resolveStrategy(undefined, 'anything').name).toBe('lww');
    expect(resolveStrategy({ keys: { other: 'crdt' } }, 'anything').name).toBe('lww');
  });

  it('validates specs up front', () => {
    expect(() => validateStrategySpec(spec)).not.toThrow();
    expect(() => validateStrategySpec({ keys: { 'a*b': 'lww' } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => validateStrategySpec({ keys: { a: 'nope' as never } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => validateStrategySpec({ default: {} as never })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
