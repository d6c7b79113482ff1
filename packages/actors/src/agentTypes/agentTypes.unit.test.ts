import { MisterSmithError } from '@mister-smith/core';
import { applyWrite, HybridLogicalClock, type StoredValue } from '@mister-smith/crdt';
import { describe, expect, it } from 'vitest';
import { counterAgent } from './counterAgent.js';
import { defineAgentType } from './defineAgentType.js';
import { notesAgent, type NotesDoc } from './notesAgent.js';
import { runCommand } from './runCommand.js';

const ctx = { agentId: 'a1', commandId: 'cmd-1', writer: 'sup-a' };
const codeOf = (fn: () => unknown) => { try { fn(); return 'no error'; } catch (e) { return MisterSmithError.is(e) ? e.code : String(e); } };

describe('defineAgentType', () => {
  it('validates the definition up front', () => {
    const ok = { name: 't', initialState: {}, commands: { go: () => undefined } };
    expect(codeOf(() => defineAgentType({ ...ok, name: 'has space' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => defineAgentType({ ...ok, commands: {} }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => defineAgentType({ ...ok, initialState: { 'a.b': 1 } }))).toBe('INVALID_KEY');
    expect(codeOf(() => defineAgentType({ ...ok, idleTtlMs: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => defineAgentType({ ...ok, strategies: { keys: { 'a*b': 'lww' } } }))).toBe('INVALID_ARGUMENT');
    expect(defineAgentType(ok)).toMatchObject({ name: 't', flushThreshold: 50, durability: 'jetstream', idleTtlMs: undefined });
  });

  it('resolves each key to its strategy', () => {
    expect(notesAgent.strategyOf('doc').name).toBe('crdt');
    expect(notesAgent.strategyOf('other').name).toBe('lww');
    expect(counterAgent.strategyOf('count').name).toBe('lww');
  });
});

describe('runCommand', () => {
  it('lists the changed top-level keys and never mutates the input state', () => {
    const state = Object.freeze({ count: 1, other: 2 });
    const out = runCommand(counterAgent, state, 'increment', { by: 2 }, ctx);
    expect(out.next).toEqual({ count: 3, other: 2 });
    expect(out.changes).toEqual([{ key: 'count', op: 'put', input: 3 }]);
    expect(out.result).toBe(3);
    expect(state).toEqual({ count: 1, other: 2 });
  });

  it('reports removed keys as deletes and keeps the handler result apart from the state', () => {
    const t = defineAgentType<Record<string, number>>({
      name: 't', initialState: {},
      commands: { drop: (d) => { delete d.a; return { dropped: true }; }, noop: () => 'same' },
    });
    expect(runCommand(t, { a: 1, b: 2 }, 'drop', undefined, ctx)).toMatchObject({ next: { b: 2 }, result: { dropped: true }, changes: [{ key: 'a', op: 'delete' }] });
    expect(runCommand(t, { a: 1 }, 'noop', undefined, ctx).changes).toEqual([]);
  });

  it('turns handler failures into typed errors', () => {
    const t = defineAgentType({ name: 't', initialState: {}, commands: { boom: () => { throw new Error('bug'); }, bad: (d) => { (d as Record<string, number>)['no.dots'] = 1; } } });
    expect(codeOf(() => runCommand(t, {}, 'boom', {}, ctx))).toBe('HANDLER_FAILED');
    expect(codeOf(() => runCommand(t, {}, 'bad', {}, ctx))).toBe('INVALID_KEY');
    expect(codeOf(() => runCommand(t, {}, 'missing', {}, ctx))).toBe('UNKNOWN_COMMAND');
    expect(codeOf(() => runCommand(counterAgent, { count: 0 }, 'increment', { by: Number.NaN }, ctx))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => runCommand(counterAgent, { count: 0 }, 'set', { key: '_reserved', value: 1 }, ctx))).toBe('INVALID_ARGUMENT');
  });
});

describe('counter', () => {
  it('increments, sets and resets numeric keys', () => {
    let s: Record<string, unknown> = counterAgent.initialState;
    const run = (name: string, payload?: unknown) => { const o = runCommand(counterAgent, s, name, payload, ctx); s = o.next; return o.result; };
    expect(run('increment')).toBe(1);
    expect(run('increment', { key: 'hits', by: 5 })).toBe(5);
    expect(run('set', { key: 'hits', value: 7 })).toBe(7);
    expect(run('reset', { key: 'count' })).toEqual({ count: 0 });
    expect(s).toEqual({ count: 0, hits: 7 });
    expect(run('reset')).toEqual({ count: 0, hits: 0 });
  });
});

describe('notes', () => {
  const strategy = notesAgent.strategyOf('doc');
  const write = (writer: string, input: unknown, current: StoredValue | undefined) => applyWrite(strategy, input, { writer, clock: new HybridLogicalClock(writer) }, current);

  it('keeps every note that concurrent writers add to the same document', () => {
    const base = write('w0', (d: NotesDoc) => { d.notes.push({ id: 'n0', text: 'first', author: 'w0' }); }, undefined);
    const state = { doc: strategy.read(base) as NotesDoc };
    const a = runCommand(notesAgent, state, 'addNote', { text: 'from A', id: 'na' }, { ...ctx, writer: 'sup-a' });
    const b = runCommand(notesAgent, state, 'addNote', { text: 'from B', id: 'nb' }, { ...ctx, writer: 'sup-b' });
    expect(a.changes).toEqual([{ key: 'doc', op: 'put', input: expect.any(Function) }]);
    // Both edits were made against the same base; the strategy merges them.
    const fromA = write('sup-a', (a.changes[0] as { input: unknown }).input, base);
    const fromB = write('sup-b', (b.changes[0] as { input: unknown }).input, base);
    const merged = strategy.merge(fromA, fromB);
    expect((strategy.read(merged) as NotesDoc).notes.map((n) => n.id).sort()).toEqual(['n0', 'na', 'nb']);
    expect(strategy.read(strategy.merge(fromB, fromA))).toEqual(strategy.read(merged));
  });

  it('removes and edits notes, and validates payloads', () => {
    const s0 = write('w', (d: NotesDoc) => { d.notes.push({ id: 'x', text: 'old', author: 'w' }, { id: 'y', text: 'keep', author: 'w' }); }, undefined);
    const state = { doc: strategy.read(s0) as NotesDoc };
    const edit = runCommand(notesAgent, state, 'editNote', { id: 'x', text: 'new' }, ctx);
    const s1 = write('w', (edit.changes[0] as { input: unknown }).input, s0);
    const rm = runCommand(notesAgent, { doc: strategy.read(s1) as NotesDoc }, 'removeNote', { id: 'y' }, ctx);
    expect(rm.result).toEqual({ id: 'y', found: true });
    const s2 = write('w', (rm.changes[0] as { input: unknown }).input, s1);
    expect((strategy.read(s2) as NotesDoc).notes).toEqual([{ id: 'x', text: 'new', author: 'w' }]);
    expect(codeOf(() => runCommand(notesAgent, state, 'addNote', { text: '' }, ctx))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => runCommand(notesAgent, state, 'removeNote', { id: 'bad id' }, ctx))).toBe('INVALID_ARGUMENT');
  });
});
