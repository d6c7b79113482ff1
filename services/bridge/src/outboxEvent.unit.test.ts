import { buildTopology, MisterSmithError, validateEnvelope } from '@mister-smith/core';
import { describe, expect, it } from 'vitest';
import { outboxEvent } from './outboxEvent.js';
import { outboxEventId, outboxMsgId } from './outboxEventId.js';
import type { OutboxRow } from './OutboxStore.js';
import { referenceData } from './referenceData.js';
import { routeOutboxRow } from './routeOutboxRow.js';
import { subjectMatches } from '@mister-smith/core';

const row = (subject: string, payload: unknown = {}, eventType = 'StateEditedInSql'): OutboxRow => ({ id: 42, subject, eventType, payload, createdAt: new Date('2025-01-02T03:04:05.678Z') });
const code = (f: () => unknown) => { try { f(); return undefined; } catch (e) { return MisterSmithError.is(e) ? e.code : 'not a MisterSmithError'; } };

describe('outbox ids', () => {
  it('builds the Nats-Msg-Id from the system identifier and the row id', () => {
    expect(outboxMsgId('7712357762467453034', 42)).toBe('outbox:7712357762467453034:42');
  });

  it('derives a stable uuid v7 carrying the row time', () => {
    const t = new Date('2025-01-02T03:04:05.678Z');
    const a = outboxEventId('outbox:1:42', t);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(outboxEventId('outbox:1:42', t)).toBe(a);
    expect(outboxEventId('outbox:1:43', t)).not.toBe(a);
    expect(parseInt(a.replace(/-/g, '').slice(0, 12), 16)).toBe(t.getTime());
  });
});

describe('subjectMatches', () => {
  it.each([
    ['agents.state.>', 'agents.state.a1', true],
    ['agents.state.>', 'agents.state', false],
    ['tasks.*.x', 'tasks.created.x', true],
    ['tasks.*.x', 'tasks.created.y', false],
    ['a.b', 'a.b.c', false],
    ['a.>', 'a.b.c', true],
  ])('%s matches %s: %s', (f, s, want) => expect(subjectMatches(f, s)).toBe(want));
});

describe('routeOutboxRow', () => {
  const topology = buildTopology({ namespace: 'ns1', profile: 'test' });
  it('routes agents.* to AGENT_STATE and tasks.* to TASK_EXECUTION', () => {
    expect(routeOutboxRow(row('agents.state.a1', { agent_id: 'a1' }), topology)).toBe('agentState');
    expect(routeOutboxRow(row('tasks.created.t1', {}, 'TaskCreated'), topology)).toBe('taskExecution');
  });
  it('refuses what no retry can publish', () => {
    expect(code(() => routeOutboxRow(row('other.x'), topology))).toBe('INVALID_SUBJECT');
    expect(code(() => routeOutboxRow(row('tasks.archived.t1'), topology))).toBe('INVALID_SUBJECT');
    expect(code(() => routeOutboxRow(row('agents.state.a b'), topology))).toBe('INVALID_SUBJECT');
    expect(code(() => routeOutboxRow(row('agents.state.a1.x', { agent_id: 'a1.x' }), topology))).toBe('INVALID_ID');
    expect(code(() => routeOutboxRow(row('agents.state.a1', { agent_id: 'a2' }), topology))).toBe('INVALID_ID');
    expect(code(() => routeOutboxRow(row('agents.state.a1', {}, ''), topology))).toBe('MALFORMED_EVENT');
  });
});

describe('outboxEvent', () => {
  it('wraps a row in a valid envelope with the agent it is about', () => {
    const e = outboxEvent(row('tasks.created.t1', { task_id: 't1', assigned_agent_id: 'agent-7' }, 'TaskCreated'), 'outbox:1:42');
    expect(validateEnvelope(JSON.parse(JSON.stringify(e)))).toMatchObject({ type: 'TaskCreated', subject: 'tasks.created.t1', agentId: 'agent-7', time: '2025-01-02T03:04:05.678Z' });
    expect(e.id).toBe(outboxEventId('outbox:1:42', new Date('2025-01-02T03:04:05.678Z')));
  });
  it('leaves agentId out when the payload names no valid agent', () => {
    expect(outboxEvent(row('tasks.created.t1', { assigned_agent_id: 'not valid!' }, 'TaskCreated'), 'm').agentId).toBeUndefined();
    expect(outboxEvent(row('tasks.created.t1', { assigned_agent_id: null }, 'TaskCreated'), 'm').agentId).toBeUndefined();
  });
});

describe('referenceData', () => {
  it('keeps small scalar fields, points at the stored payload and lists what it left out', () => {
    const data = referenceData(row('agents.state.a1', { agent_id: 'a1', version: 3, tombstone: false, old_value: null, new_value: { big: 'x'.repeat(10) }, note: 'y'.repeat(300) }), 1234);
    expect(data).toEqual({
      agent_id: 'a1', version: 3, tombstone: false, old_value: null,
      ref: { table: 'mister_smith.outbox_payloads', id: 42 }, truncated: false, size: 1234, omitted: ['new_value', 'note'],
    });
  });
});
