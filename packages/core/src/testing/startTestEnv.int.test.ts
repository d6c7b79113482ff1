import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEvent } from '../events/createEvent.js';
import { seedAgentState, seedStateRows } from './fixtures.js';
import { startTestEnv } from './startTestEnv.js';

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('the test kit', () => {
  it('starts an isolated environment on embedded servers, and removes them with it', async () => {
    const env = await startTestEnv({ servers: 'embedded' });
    const { nats, postgres } = env.embedded;
    try {
      expect(nats && postgres).toBeTruthy();
      expect(env.natsUrl).toBe(nats!.url);
      expect(env.databaseUrl).toContain(`:${postgres!.port}/`);
      const ack = await env.logs.agentState.append(createEvent({ type: 'Hello', subject: 'agents.state.e1', agentId: 'e1', data: {} }));
      expect(ack.seq).toBe(1);
      const rows = await seedStateRows(env, { e1: { greeting: 'hi' } });
      expect(rows).toHaveLength(1);
      expect(await env.pg.db.selectFrom('agents.state').select(['agent_id', 'state_key', 'state_value']).execute()).toEqual([{ agent_id: 'e1', state_key: 'greeting', state_value: 'hi' }]);
    } finally {
      await env.close();
    }
    expect(alive(nats!.pid)).toBe(false);
    expect(existsSync(nats!.dataDir)).toBe(false);
    expect(existsSync(postgres!.dataDir)).toBe(false);
  });

  it('seeds agents with state as events, with the state each key must end in', async () => {
    await using env = await startTestEnv();
    const seeded = await seedAgentState(env, { agents: 3, keys: 2, writes: 14, deleteEvery: 4, prefix: 'bot' });
    expect(seeded.agents).toEqual(['bot-0', 'bot-1', 'bot-2']);
    expect(seeded.seqs).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(seeded.head).toBe(14);
    expect(seeded.expected.size).toBe(6);
    const last = new Map<string, number>();
    seeded.events.forEach((e, i) => last.set(`${e.agentId}/${e.data.key}`, i));
    for (const [k, i] of last) expect(seeded.expected.get(k)).toMatchObject({ seq: i + 1, tombstone: seeded.events[i]!.data.op === 'delete' });
    const stored: string[] = [];
    for await (const item of env.logs.agentState.read({ filter: 'agents.state.>' })) if (item.kind === 'event') stored.push(item.record.event.agentId!);
    expect(stored).toEqual(seeded.events.map((e) => e.agentId));
  });
});
