import { MisterSmithError, stateChanged } from '@mister-smith/core';
import { describe, expect, it } from 'vitest';
import { foldAgentState } from '../history/foldAgentState.js';
import { admitCommand } from '../mailbox/admitCommand.js';
import { afterFire, createTimerRecord, isMissed, timerCommandId, timerInfo } from './timerRecords.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const codeOf = (fn: () => unknown) => { try { fn(); return 'no error'; } catch (e) { return MisterSmithError.is(e) ? e.code : String(e); } };

describe('timer records', () => {
  it('computes first and next due times of one-shot, interval and cron timers', () => {
    const once = createTimerRecord({ id: 'a', command: 'c', delayMs: 500 }, T0);
    expect(once).toMatchObject({ kind: 'once', dueAt: T0 + 500, missed: 'fire-once', fired: 0 });
    expect(afterFire(once, T0 + 500, true)).toBeUndefined();
    expect(createTimerRecord({ command: 'c', at: '2026-01-02T00:00:00Z' }, T0).dueAt).toBe(T0 + 86_400_000);

    const every = createTimerRecord({ id: 'i', command: 'c', everyMs: 1000 }, T0);
    expect(every.dueAt).toBe(T0 + 1000);
    expect(afterFire(every, T0 + 1000, true)).toMatchObject({ dueAt: T0 + 2000, fired: 1 });
    // Down for 10.5 intervals: one late fire, then on from the next future slot.
    expect(afterFire(every, T0 + 11_500, true)).toMatchObject({ dueAt: T0 + 12_000, fired: 1 });

    const cron = createTimerRecord({ id: 'n', command: 'c', cron: '0 3 * * *' }, T0);
    expect(new Date(cron.dueAt).toISOString()).toBe('2026-01-01T03:00:00.000Z');
    expect(new Date(afterFire(cron, cron.dueAt, true)!.dueAt).toISOString()).toBe('2026-01-02T03:00:00.000Z');
    expect(new Date(afterFire(cron, T0 + 5 * 86_400_000, true)!.dueAt).toISOString()).toBe('2026-01-06T03:00:00.000Z');
    expect(timerInfo(cron)).toMatchObject({ timerId: 'n', schedule: 'cron 0 3 * * * (UTC)', dueAt: '2026-01-01T03:00:00.000Z' });
    expect(timerCommandId('n', cron.dueAt)).toBe(`timer:n:${cron.dueAt}`);
  });

  it('tells a missed fire by its grace, and refuses bad timers with typed errors', () => {
    const t = createTimerRecord({ id: 's', command: 'c', delayMs: 10, missed: 'skip', graceMs: 1000 }, T0);
    expect(isMissed(t, T0 + 900)).toBe(false);
    expect(isMissed(t, T0 + 1011)).toBe(true);
    for (const bad of [{ command: 'c' }, { command: 'c', delayMs: 1, everyMs: 1 }, { command: 'c', cron: 'nope' }, { command: 'c', everyMs: -1 }, { id: '_x', command: 'c', delayMs: 1 }, { command: 'c', delayMs: 1, missed: 'twice' }, { command: '', delayMs: 1 }]) {
      expect(codeOf(() => createTimerRecord(bad as never, T0))).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('mailbox admission', () => {
  const policy = (p: 'enqueue' | 'reject' | 'interrupt', maxQueue = 2) => ({ policy: p, maxQueue });
  it('enqueues up to the bound, then refuses with BACKPRESSURE; reject refuses a busy agent; interrupt interrupts', () => {
    expect(admitCommand('a', policy('enqueue'), 0, false).kind).toBe('enqueue');
    expect(admitCommand('a', policy('enqueue'), 2, true).kind).toBe('enqueue');
    const full = admitCommand('a', policy('enqueue'), 3, true);
    expect(full.kind === 'refuse' && full.error.code).toBe('BACKPRESSURE');
    const busy = admitCommand('a', policy('reject'), 1, true);
    expect(busy.kind === 'refuse' && busy.error.code).toBe('BUSY');
    expect(admitCommand('a', policy('reject'), 0, false).kind).toBe('enqueue');
    expect(admitCommand('a', policy('interrupt'), 1, true).kind).toBe('interrupt');
  });
});

describe('foldAgentState', () => {
  it('folds puts and deletes up to a revision or a time', () => {
    const ev = (seq: number, key: string, op: 'put' | 'delete', value: unknown, minute: number) => ({
      seq, event: { ...stateChanged('a1', { key, op, value, stored: null, strategy: 'lww', writer: 'w' }), time: new Date(T0 + minute * 60_000).toISOString() },
    });
    const events = [ev(3, 'x', 'put', 1, 1), ev(5, 'y', 'put', 'b', 2), ev(9, 'x', 'delete', null, 3)];
    expect(foldAgentState({ x: 0 }, events, { seq: 0 })).toEqual({ state: { x: 0 }, revision: 0, events: 0 });
    expect(foldAgentState({}, events, { seq: 5 })).toMatchObject({ state: { x: 1, y: 'b' }, revision: 5, events: 2 });
    expect(foldAgentState({}, events, { seq: 100 })).toMatchObject({ state: { y: 'b' }, revision: 9 });
    expect(foldAgentState({}, events, { time: new Date(T0 + 90_000) })).toMatchObject({ state: { x: 1 }, revision: 3 });
  });
});
