import { describe, expect, it } from 'vitest';
import { startTestEnv } from '../testing/index.js';
import { createEvent } from '../events/createEvent.js';
import { subscribe, type Subscription, type SubscriptionItem } from './subscribe.js';

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

describe('subscribe: filters, positions and gaps', () => {
  const mk = (family: string, agent: string, type: string, n: number) => createEvent({ type, subject: `agents.${family}.${agent}`, agentId: agent, data: { n } });
  const collect = async (sub: Subscription) => {
    const items: SubscriptionItem[] = [];
    for await (const item of sub) { items.push(item); if (item.kind === 'caught-up') break; }
    await sub.stop();
    return items;
  };
  const ns = (items: SubscriptionItem[]) => items.map((i) => (i.kind === 'event' ? (i.record.event.data as { n: number }).n : i.kind));

  it('filters by agent, subject family and event type together', async () => {
    await using env = await startTestEnv({ migrate: false });
    const log = env.logs.agentState;
    await log.appendBatch([mk('state', 'a1', 'A', 1), mk('state', 'a1', 'B', 2), mk('lifecycle', 'a1', 'B', 3), mk('state', 'a2', 'B', 4), mk('state', 'a1', 'B', 5)]);
    expect(ns(await collect(subscribe(log, { agentId: 'a1', families: ['state'], types: ['B'], from: 'start' })))).toEqual([2, 5, 'caught-up']);
    expect(ns(await collect(subscribe(log, { agentId: 'a1', types: ['B'], from: 'start' })))).toEqual([2, 3, 5, 'caught-up']);
    expect(ns(await collect(subscribe(log, { families: ['state'], types: ['B', 'A'], from: 'start' })))).toEqual([1, 2, 4, 5, 'caught-up']);
    expect(() => subscribe(log, { agentId: 'a1', subjects: ['agents.state.>'] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('resumes right after a position that carries the stream epoch; a position of another incarnation is refused or signalled', async () => {
    await using env = await startTestEnv({ migrate: false });
    const log = env.logs.agentState;
    await log.appendBatch([1, 2, 3, 4].map((n) => mk('state', 'a1', 'T', n)));
    const first = await collect(subscribe(log, { agentId: 'a1', from: 'start', limit: 2 }));
    const last = first.at(-1)!;
    if (last.kind !== 'event') throw new Error('expected an event');
    expect(last.position).toEqual({ epoch: await log.epoch(), seq: last.record.seq });
    expect(ns(await collect(subscribe(log, { agentId: 'a1', from: { after: last.position } })))).toEqual([3, 4, 'caught-up']);

    const later = { epoch: last.position.epoch + 1000, seq: 1 };
    await expect(collect(subscribe(log, { agentId: 'a1', from: { after: later } }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // A position from an earlier incarnation (the stream was recreated since): without an archive,
    // a gap says the rest of that incarnation is unknown, then the current stream from its start.
    const earlier = await collect(subscribe(log, { agentId: 'a1', from: { after: { epoch: last.position.epoch - 1000, seq: 7 } } }));
    expect(earlier[0]).toMatchObject({ kind: 'gap', reason: 'epoch-changed', fromSeq: 8, error: { code: 'EVENTS_UNAVAILABLE' } });
    expect(ns(earlier.slice(1))).toEqual([1, 2, 3, 4, 'caught-up']);
  });

  it('signals a typed gap when the start is older than the stream keeps, or fails with onGap: fail', async () => {
    await using env = await startTestEnv({ migrate: false });
    const log = env.logs.agentState;
    const acks = await log.appendBatch([1, 2, 3, 4, 5].map((n) => mk('state', 'a1', 'T', n)));
    await env.nats.jsm.streams.purge(log.stream, { seq: acks[3]!.seq }); // the stream "evicted" 1..3
    const items = await collect(subscribe(log, { agentId: 'a1', from: 'start' }));
    expect(items[0]).toMatchObject({ kind: 'gap', reason: 'evicted', fromSeq: 1, toSeq: acks[3]!.seq - 1, epoch: await log.epoch() });
    expect(ns(items.slice(1))).toEqual([4, 5, 'caught-up']);
    await expect(collect(subscribe(log, { agentId: 'a1', from: 'start', onGap: 'fail' }))).rejects.toMatchObject({ code: 'EVENTS_UNAVAILABLE' });
  });
});
