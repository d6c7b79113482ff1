import { describe, expect, it } from 'vitest';
import { subjectMatcher, subjectMatches } from './subjectMatches.js';

describe('subjectMatches', () => {
  it('follows NATS wildcard rules', () => {
    expect(subjectMatches('agents.state.>', 'agents.state.a1')).toBe(true);
    expect(subjectMatches('agents.state.>', 'agents.state.a1.x')).toBe(true);
    expect(subjectMatches('agents.state.>', 'agents.state')).toBe(false);
    expect(subjectMatches('agents.*.a1', 'agents.lifecycle.a1')).toBe(true);
    expect(subjectMatches('agents.*.a1', 'agents.lifecycle.a2')).toBe(false);
    expect(subjectMatches('tasks.created.>', 'tasks.started.x')).toBe(false);
    expect(subjectMatcher(['agents.lifecycle.>', 'agents.heartbeat.>'])('agents.heartbeat.s-1')).toBe(true);
    expect(subjectMatcher(['agents.lifecycle.>', 'agents.heartbeat.>'])('agents.state.s-1')).toBe(false);
  });
});
