import { describe, expect, it } from 'vitest';
import { startTestEnv } from '../testing/index.js';
import { createEvent } from '../events/createEvent.js';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import type { LogItem } from './EventLog.js';

const ev = (agent: string, n: number) => createEvent({ type: 'StateChanged', subject: `agents.state.${agent}`, agentId: agent, data: { n } });

describe('JetStreamEventLog', () => {
  it('deduplicates a retried append inside the duplicate window', async () => {
    await using env = await startTestEnv({ migrate: false });
    const e = ev('a1', 1);
    const first = await env.logs.agentState.append(e);
    const again = await env.logs.agentState.append(e);
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
    expect((await env.logs.agentState.bounds()).messages).toBe(1);
  });

  it('rejects an append whose expected last subject sequence is stale', async () => {
    await using env = await startTestEnv({ migrate: false });
    const log = env.logs.agentState;
    const a = await log.append(ev('a1', 1), { expectedLastSubjectSeq: 0 });
    await log.append(ev('a1', 2), { expectedLastSubjectSeq: a.seq });
    const err = await log.append(ev('a1', 3), { expectedLastSubjectSeq: a.seq }).catch((e: unknown) => e);
    expect(MisterSmithError.is(err, 'SEQUENCE_CONFLICT')).toBe(true);
  });

  it('subscribes catch-up then live with an explicit caught-up marker', async () => {
    await using env = await startTestEnv({ migrate: false });
    const log = env.logs.agentState;
    await log.appendBatch([ev('a1', 1), ev('a2', 2), ev('a1', 3)]);
    const sub = log.subscribe({ filter: 'agents.state.a1' });
    const seen: LogItem[] = [];
    for await (const item of sub) {
      seen.push(item);
      if (item.kind === 'caught-up') await log.append(ev('a1', 4));
      if (seen.filter((i) => i.kind === 'event').length === 3) break;
    }
    await sub.stop();
    const kinds = seen.map((i) => (i.kind === 'event' ? (i.record.event.data as { n: number }).n : i.kind));
    expect(kinds).toEqual([1, 3, 'caught-up', 4]);
  });

  it('reads a range up to the head and stops', async () => {
    await using env = await startTestEnv({ migrate: false });
    const log = env.logs.agentState;
    const acks = await log.appendBatch(Array.from({ length: 20 }, (_, i) => ev('r1', i)));
    const got: number[] = [];
    for await (const item of log.read({ filter: 'agents.state.>', from: { seq: acks[5]!.seq } })) {
      if (item.kind === 'event') got.push((item.record.event.data as { n: number }).n);
    }
    expect(got).toEqual(Array.from({ length: 15 }, (_, i) => i + 5));
  });
});
