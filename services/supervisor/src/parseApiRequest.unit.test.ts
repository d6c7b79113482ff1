import { MisterSmithError } from '@mister-smith/core';
import { describe, expect, it } from 'vitest';
import { parseApiRequest } from './parseApiRequest.js';

const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const codeOf = (fn: () => unknown) => { try { fn(); return 'no error'; } catch (e) { return MisterSmithError.is(e) ? e.code : String(e); } };

describe('parseApiRequest', () => {
  it('reads each operation', () => {
    expect(parseApiRequest('spawn', bytes({ type: 'counter', id: 'c1' }))).toEqual({ op: 'spawn', agentType: 'counter', agentId: 'c1' });
    expect(parseApiRequest('spawn', bytes({ agentType: 'notes' }))).toEqual({ op: 'spawn', agentType: 'notes' });
    expect(parseApiRequest('command', bytes({ agentId: 'c1', command: 'increment', payload: { by: 2 }, commandId: 'k' })))
      .toEqual({ op: 'command', agentId: 'c1', command: 'increment', payload: { by: 2 }, commandId: 'k' });
    expect(parseApiRequest('set', bytes({ agentId: 'c1', key: 'count', value: 5, commandId: 'k' }))).toEqual({ op: 'set', agentId: 'c1', key: 'count', value: 5, commandId: 'k' });
    expect(parseApiRequest('get', bytes({ agentId: 'c1', key: 'count' }))).toEqual({ op: 'get', agentId: 'c1', key: 'count' });
    expect(parseApiRequest('stop', bytes({ agentId: 'c1' }))).toEqual({ op: 'stop', agentId: 'c1' });
    expect(parseApiRequest('list', bytes({ state: 'COLD', limit: 10 }))).toEqual({ op: 'list', state: 'COLD', limit: 10 });
    expect(parseApiRequest('list', new Uint8Array())).toEqual({ op: 'list' });
  });

  it.each([
    ['unknown', {}, 'INVALID_ARGUMENT'],
    ['command', '{"agentId":', 'INVALID_ARGUMENT'],
    ['command', 'null', 'INVALID_ARGUMENT'],
    ['command', { command: 'x' }, 'INVALID_ID'],
    ['command', { agentId: 'a b', command: 'x' }, 'INVALID_ID'],
    ['command', { agentId: 'a', command: 7 }, 'INVALID_ARGUMENT'],
    ['command', { agentId: 'a', command: 'x', base: { epoch: 'e' } }, 'INVALID_ARGUMENT'],
    ['set', { agentId: 'a', key: 'k' }, 'INVALID_ARGUMENT'],
    ['set', { agentId: 'a', key: 'a.b', value: 1 }, 'INVALID_KEY'],
    ['spawn', { id: 'x' }, 'INVALID_ARGUMENT'],
    ['spawn', { type: 'counter', metadata: [1] }, 'INVALID_ARGUMENT'],
    ['list', { state: 'NAPPING' }, 'INVALID_ARGUMENT'],
    ['list', { limit: 1.5 }, 'INVALID_ARGUMENT'],
  ])('refuses %s %j with %s', (op, body, code) => {
    expect(codeOf(() => parseApiRequest(op, bytes(body)))).toBe(code);
  });
});
