import { MisterSmithError, type AgentLifecycleChangedData, type ConflictNotice, type SupervisorHeartbeatData } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { counterAgent } from '../agentTypes/counterAgent.js';
import { defineAgentType } from '../agentTypes/defineAgentType.js';
import { notesAgent, type NotesState } from '../agentTypes/notesAgent.js';
import { createSupervisor } from './createSupervisor.js';
import { eventsOf, eventually, stateRows } from './supervisorTestKit.test.js';
import { mapLimit } from '@mister-smith/core/util';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => (MisterSmithError.is(e) ? e.code : String(e)));

describe('createSupervisor', () => {
  it('spawns, commands, passivates, re-activates with state intact, and publishes every transition', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    const sup = await createSupervisor({ ...env, supervisorId: 'sup-a', agentTypes: [counterAgent, notesAgent], heartbeatIntervalMs: 100 });
    try {
      const spawned = await sup.spawn('counter', 'c1');
      expect(spawned).toMatchObject({ agentId: 'c1', agentType: 'counter', lifecycle: 'ACTIVE', supervisorId: 'sup-a' });
      expect((await sup.command('c1', 'increment', { by: 2 })).result).toBe(2);
      expect((await sup.command('c1', 'increment', { key: 'other', by: 5 })).result).toBe(5);
      expect(await sup.get('c1')).toMatchObject({ lifecycle: 'ACTIVE', state: { count: 2, other: 5 } });
      expect(await sup.stopAgent('c1')).toEqual({ agentId: 'c1', lifecycle: 'EXPIRED' });
      expect(await stateRows(env, 'c1')).toEqual(new Map([['count', 2], ['other', 5]]));
      expect(await sup.get('c1', 'count')).toMatchObject({ lifecycle: 'EXPIRED', value: 2 });
      expect((await sup.command('c1', 'increment', {})).result).toBe(3);
      const transitions = (await eventsOf(env.logs.agentState, 'agents.lifecycle.c1')).map((e) => e.data as AgentLifecycleChangedData);
      expect(transitions.map((t) => `${t.from}>${t.to}:${t.reason}`)).toEqual([
        'COLD>HYDRATING:command', 'HYDRATING>ACTIVE:hydrated', 'ACTIVE>FLUSHING:stop', 'FLUSHING>EXPIRED:stop',
        'EXPIRED>HYDRATING:command', 'HYDRATING>ACTIVE:hydrated',
      ]);
      expect(transitions.every((t) => t.agentType === 'counter' && t.supervisorId === 'sup-a')).toBe(true);
      const beat = await eventually(async () => (await eventsOf(env.logs.agentState, 'agents.heartbeat.sup-a')).map((e) => e.data as SupervisorHeartbeatData).find((d) => d.agents.includes('c1')), 5_000, 'a heartbeat listing c1');
      expect(beat).toMatchObject({ supervisorId: 'sup-a', intervalMs: 100 });
    } finally {
      await sup.stop();
    }
    expect(await stateRows(env, 'c1')).toEqual(new Map([['count', 3], ['other', 5]]));
  });

  it('answers bad input with typed errors and keeps serving', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    await using sup = await createSupervisor({ ...env, agentTypes: [counterAgent] });
    await sup.spawn('counter', 'ok1');
    expect(await codeOf(sup.command('nobody', 'increment'))).toBe('UNKNOWN_AGENT');
    expect(await codeOf(sup.command('ok1', 'explode'))).toBe('UNKNOWN_COMMAND');
    expect(await codeOf(sup.command('bad id!', 'increment'))).toBe('INVALID_ID');
    expect(await codeOf(sup.command('ok1', 'increment', { by: 'lots' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(sup.spawn('nope'))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(sup.spawn('counter', 'x'.repeat(65)))).toBe('INVALID_ID');
    expect(await codeOf(sup.get('ok1', 'a.b'))).toBe('INVALID_KEY');
    expect(await codeOf(sup.list({ state: 'SLEEPY' as never }))).toBe('INVALID_ARGUMENT');
    expect((await sup.command('ok1', 'increment')).result).toBe(1);
  });

  it('merges concurrent notes from two writers into one Automerge document', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    // Two writers: clients of two supervisors (the owner, and one that forwards to it), both
    // deciding on their commands from the same version they read.
    await using owner = await createSupervisor({ ...env, supervisorId: 'sup-owner', agentTypes: [notesAgent] });
    await using other = await createSupervisor({ ...env, supervisorId: 'sup-other', agentTypes: [notesAgent] });
    const notices: ConflictNotice[] = [];
    owner.stateStore.onConflict((n) => notices.push(n));
    await owner.spawn('notes', 'n1');
    const base = (await owner.command('n1', 'addNote', { text: 'first', id: 'id0' })).version!;
    expect(base).toBeDefined();
    const [a, b] = await Promise.all([
      owner.command('n1', 'addNote', { text: 'from A', id: 'a' }, { base }),
      other.command('n1', 'addNote', { text: 'from B', id: 'b' }, { base }),
    ]);
    // Both applied; the one that ran second was made against a version the key had left: merged.
    expect(a.changedKeys).toEqual(['doc']);
    expect(b.changedKeys).toEqual(['doc']);
    expect(notices.filter((n) => n.agentId === 'n1' && n.key === 'doc')).toEqual([expect.objectContaining({ strategy: 'crdt', outcome: 'merged' })]);
    // Concurrent edits of one note against the same base: both commands succeed, one text wins, everywhere.
    const head = (await owner.command('n1', 'addNote', { text: 'shared', id: 's' })).version!;
    await Promise.all([
      owner.command('n1', 'editNote', { id: 's', text: 'edit by A' }, { base: head }),
      other.command('n1', 'editNote', { id: 's', text: 'edit by B' }, { base: head }),
    ]);
    const view = await other.get('n1');
    const notes = (view.state as NotesState).doc.notes;
    expect(notes.map((n) => n.id).sort()).toEqual(['a', 'b', 'id0', 's']);
    const merged = notes.find((n) => n.id === 's')!.text;
    expect(['edit by A', 'edit by B']).toContain(merged);
    expect(notices.filter((n) => n.agentId === 'n1').length).toBe(2);
    // The merged document is what PostgreSQL holds after passivation, and what a re-activation reads.
    await owner.stopAgent('n1');
    const again = await other.get('n1');
    expect((again.state as NotesState).doc.notes.map((n) => [n.id, n.text]).sort()).toEqual(notes.map((n) => [n.id, n.text]).sort());
  });

  it('stop() flushes every agent to PostgreSQL and publishes their last transitions', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    // Nothing reaches PostgreSQL on its own during the test: no interval or threshold flush (the agent type's settings).
    const lazyCounter = defineAgentType({ ...counterAgent, flushIntervalMs: 600_000, flushThreshold: 100_000 });
    const sup = await createSupervisor({ ...env, supervisorId: 'sup-s', agentTypes: [lazyCounter], stateStoreOptions: { flushIntervalMs: 600_000, flushThreshold: 100_000 } });
    const ids = Array.from({ length: 50 }, (_, i) => `s-${i}`);
    await mapLimit(ids, 50, (id) => sup.spawn('counter', id));
    await mapLimit(ids, 50, (id, i) => sup.command(id, 'set', { value: i + 1 }));
    expect((await stateRows(env)).size).toBe(0);
    expect(sup.dirtyKeys()).toBeGreaterThan(0);
    await sup.stop();
    const rows = await stateRows(env);
    expect(ids.map((id) => rows.get(`${id}.count`))).toEqual(ids.map((_, i) => i + 1));
    const last = await Promise.all(ids.map(async (id) => (await eventsOf(env.logs.agentState, `agents.lifecycle.${id}`)).at(-1)?.data as AgentLifecycleChangedData));
    expect(last.every((t) => t.to === 'EXPIRED' && t.reason === 'shutdown')).toBe(true);
    expect((await env.bucket('agentLeases').then((kv) => kv.keys()))).toEqual([]);
  });

  it('lists resident agents and the COLD ones only PostgreSQL knows', async () => {
    await using env = await startTestEnv({ leaseTtlSeconds: 3 });
    await using sup = await createSupervisor({ ...env, agentTypes: [counterAgent] });
    await sup.spawn('counter', 'live-1');
    await sql`INSERT INTO agents.registry (agent_id, agent_type) VALUES ('cold-1', 'counter'), ('cold-2', 'counter')`.execute(env.pg.db);
    const all = await sup.list();
    expect(all.map((a) => [a.agentId, a.lifecycle, a.resident])).toEqual([['live-1', 'ACTIVE', true], ['cold-1', 'COLD', false], ['cold-2', 'COLD', false]]);
    expect((await sup.list({ state: 'COLD' })).map((a) => a.agentId)).toEqual(['cold-1', 'cold-2']);
    expect((await sup.command('cold-2', 'increment', {})).result).toBe(1);
    expect((await sup.list({ state: 'ACTIVE' })).map((a) => a.agentId).sort()).toEqual(['cold-2', 'live-1']);
  });
});
