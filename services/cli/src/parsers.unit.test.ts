import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { formatProgressBar, formatProgressLine } from './cli/formatProgress.js';
import { jsonValue, lifecycleState, positiveInt, startAt, traceparent } from './cli/parsers.js';
import { formatStatus } from './runtime/sampleStatus.js';

describe('argument parsers', () => {
  it('parse what users type and refuse the rest', () => {
    expect(positiveInt('12')).toBe(12);
    expect(() => positiveInt('1e3')).toThrow(InvalidArgumentError);
    expect(lifecycleState('active')).toBe('ACTIVE');
    expect(jsonValue('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(jsonValue('"text"')).toBe('text');
    expect(startAt('start')).toBe('start');
    expect(startAt('42')).toEqual({ seq: 42 });
    expect(startAt('2024-05-01T12:00:00Z')).toEqual({ time: new Date('2024-05-01T12:00:00Z') });
    expect(() => startAt('2024-13-45')).toThrow(InvalidArgumentError);
    expect(traceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toMatch(/^00-/);
    expect(() => traceparent('00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01')).toThrow(InvalidArgumentError);
  });
});

describe('status and progress lines', () => {
  it('render the figures a person watches', () => {
    const base = { type: 'status', uptimeSeconds: 12, agents: { COLD: 0, HYDRATING: 1, ACTIVE: 5, FLUSHING: 0, EXPIRED: 2 }, eventsPerSecond: 6.9, dirtyKeys: 7, projectionLag: 0, projectionsFailed: [], outboxDepth: 0, tasks: { dispatched: 11, completed: 9, failed: 2 } } as const;
    expect(formatStatus(base)).toBe('up 12s | agents 1 HYDRATING, 5 ACTIVE, 2 EXPIRED | events 6.9/s | flush lag 7 keys | projection lag 0 | outbox 0 | tasks 11: 9 done, 2 failed');
    expect(formatStatus({ ...base, demo: { commands: 98, passivations: 3, reactivations: 2, failuresOnPurpose: 2 } }))
      .toBe('up 12s | agents 1 HYDRATING, 5 ACTIVE, 2 EXPIRED | events 6.9/s | flush lag 7 keys | projection lag 0 | outbox 0 | tasks 11: 9 done, 2 failed (2 on purpose) | demo: 98 commands, 3 passivated, 2 re-activated');
    const p = { label: 'agent-state', phase: 'stream', done: 500, total: 1000, rate: 250, etaMs: 2000 };
    expect(formatProgressBar(p, 10)).toBe('agent-state [#####-----]  50%  500/1000  250 ev/s  ETA 2s  (stream)');
    expect(formatProgressLine(p)).toBe('agent-state: stream 500/1000 (50%) 250 ev/s eta 2s');
  });
});
