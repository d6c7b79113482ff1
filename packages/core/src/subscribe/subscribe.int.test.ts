import { describe, expect, it } from 'vitest';
import { startTestEnv } from '../testing/index.js';
import { createEvent } from '../events/createEvent.js';
import { subscribe } from './subscribe.js';

describe('subscribe', () => {
  it('merges the state and lifecycle families of an agent in stream order, marks caught-up, then goes live', async () => {
    await using env = await startTestEnv({ migrate: false });
    const log = env.logs.agentState;
    const mk = (family: string, agent: string, n: number) => createEvent({ type: 'T', subject: `agents.${family}.${agent}`, agentId: agent, data: { n } });
    await log.appendBatch([mk('state', 'a1', 1), mk('lifecycle', 'a1', 2), mk('state', 'a2', 3), mk('state', 'a1', 4)]);
    const sub = subscribe(log, { agentId: 'a1' });
    const seen: (number | string)[] = [];
    for await (const item of sub) {
      if (item.kind === 'caught-up') { seen.push('caught-up'); await log.append(mk('lifecycle', 'a1', 5)); continue; }
      if (item.kind === 'event') seen.push((item.record.event.data as { n: number }).n);
      if (seen.length === 5) break;
    }
    await sub.stop();
    expect(seen).toEqual([1, 2, 4, 'caught-up', 5]);
  });

  it('marks caught-up at once on an empty stream and honours limit', async () => {
    await using env = await startTestEnv({ migrate: false });
    const sub = subscribe(env.logs.agentState, { subjects: ['agents.state.>'], limit: 2 });
    const seen: string[] = [];
    for await (const item of sub) {
      seen.push(item.kind);
      if (item.kind === 'caught-up') {
        for (const n of [1, 2, 3]) await env.logs.agentState.append(createEvent({ type: 'T', subject: 'agents.state.z', data: { n } }));
      }
    }
    expect(seen).toEqual(['caught-up', 'event', 'event']);
  });
});
