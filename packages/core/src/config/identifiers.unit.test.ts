import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import {
  agentKvKey, assertAgentId, assertKvKey, assertNamespace, assertStateKey, assertSubject, assertSubjectToken, parseAgentKvKey,
} from './identifiers.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try { fn(); } catch (e) { return MisterSmithError.is(e) ? e.code : `not a MisterSmithError: ${String(e)}`; }
  return undefined;
};

describe('agent ids', () => {
  it.each(['a', 'A1', '0', 'agent-1', 'agent_1', 'a'.repeat(64), 'X-_-9'])('accepts %j', (id) => {
    expect(assertAgentId(id)).toBe(id);
  });
  it.each(['', '-a', '_a', 'agent:1', 'a.b', 'a b', 'a*', 'a>', 'ä', 'a'.repeat(65), 'a/b'])('rejects %j with INVALID_ID', (id) => {
    expect(codeOf(() => assertAgentId(id))).toBe('INVALID_ID');
  });
  it.each([undefined, null, 1, {}, ['a']])('rejects the non-string %j with INVALID_ID', (id) => {
    expect(codeOf(() => assertAgentId(id))).toBe('INVALID_ID');
  });
  it('names the offending id in the error details', () => {
    try { assertAgentId('agent:1'); expect.unreachable(); } catch (e) {
      expect((e as MisterSmithError).details).toEqual({ agentId: 'agent:1' });
    }
  });
});

describe('state keys', () => {
  it.each(['counter', 'a/b', 'x=y', 'A-b_c', 'k'.repeat(200)])('accepts %j', (k) => {
    expect(assertStateKey(k)).toBe(k);
  });
  it.each(['', 'a.b', '.a', 'a b', 'a:b', 'a*', 'a>', 'k'.repeat(201), 'é'])('rejects %j with INVALID_KEY', (k) => {
    expect(codeOf(() => assertStateKey(k))).toBe('INVALID_KEY');
  });
  it('reserves keys starting with "_" for the framework', () => {
    expect(codeOf(() => assertStateKey('_registry'))).toBe('INVALID_KEY');
    expect(assertStateKey('_registry', { allowReserved: true })).toBe('_registry');
    expect(assertStateKey('a_b')).toBe('a_b');
  });
});

describe('KV keys', () => {
  it.each(['a', 'agent.a1', 'a1.counter', 'a/b=c', 'x.y.z', '_registry.a1', 'A-Z_0-9'])('accepts %j', (k) => {
    expect(assertKvKey(k)).toBe(k);
  });
  it.each(['', '.x', 'x.', 'a..b', 'agent:1', 'a b', 'a*', 'a>', 'ü', 'a\n', 'k'.repeat(513)])('rejects %j with INVALID_KEY', (k) => {
    expect(codeOf(() => assertKvKey(k))).toBe('INVALID_KEY');
  });
  it('builds <agentId>.<stateKey> keys and parses them back', () => {
    expect(agentKvKey('a1', 'counter')).toBe('a1.counter');
    expect(agentKvKey('a1', '_lease')).toBe('a1._lease');
    expect(parseAgentKvKey('a1.counter')).toEqual({ agentId: 'a1', stateKey: 'counter' });
    expect(parseAgentKvKey('nodot')).toBeUndefined();
    expect(parseAgentKvKey('.x')).toBeUndefined();
    expect(parseAgentKvKey('a1.b.c')).toBeUndefined();
    expect(codeOf(() => agentKvKey('agent:1', 'k'))).toBe('INVALID_ID');
    expect(codeOf(() => agentKvKey('a1', 'k.v'))).toBe('INVALID_KEY');
  });
  it('every agent key it builds is a valid KV key that parses back', () => {
    fc.assert(fc.property(
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/),
      fc.stringMatching(/^[A-Za-z0-9_\-/=]{1,200}$/),
      (agentId, stateKey) => {
        const key = agentKvKey(agentId, stateKey);
        expect(assertKvKey(key)).toBe(key);
        expect(parseAgentKvKey(key)).toEqual({ agentId, stateKey });
      },
    ));
  });
});

describe('subjects', () => {
  it.each(['agents.state.a1', 'tasks.created.t-1', 'a', 'messages.direct.x_y'])('accepts %j', (s) => {
    expect(assertSubject(s)).toBe(s);
  });
  it.each(['', 'agents..a1', '.agents', 'agents.', 'agents.state.a b', 'agents.state.*', 'agents.>', 'agents.\tx', 'x'.repeat(1025)])(
    'rejects %j with INVALID_SUBJECT', (s) => {
      expect(codeOf(() => assertSubject(s))).toBe('INVALID_SUBJECT');
    });
  it('allows wildcards in filters only when asked, and ">" only last', () => {
    expect(assertSubject('agents.*.a1', { wildcards: true })).toBe('agents.*.a1');
    expect(assertSubject('agents.state.>', { wildcards: true })).toBe('agents.state.>');
    expect(codeOf(() => assertSubject('agents.>.a1', { wildcards: true }))).toBe('INVALID_SUBJECT');
    expect(codeOf(() => assertSubject('agents.st*', { wildcards: true }))).toBe('INVALID_SUBJECT');
    expect(codeOf(() => assertSubject(42))).toBe('INVALID_SUBJECT');
  });
  it('validates single tokens', () => {
    expect(assertSubjectToken('a1')).toBe('a1');
    for (const t of ['', 'a.b', '*', '>', 'a b', 'x'.repeat(257)]) expect(codeOf(() => assertSubjectToken(t))).toBe('INVALID_SUBJECT');
  });
});

describe('namespaces', () => {
  it('accepts lowercase names and rejects others with INVALID_CONFIG', () => {
    expect(assertNamespace('ns')).toBe('ns');
    expect(assertNamespace('t1_ab')).toBe('t1_ab');
    for (const n of ['', 'NS', '1ns', 'n-s', 'n.s', 'a'.repeat(33)]) expect(codeOf(() => assertNamespace(n))).toBe('INVALID_CONFIG');
  });
});
