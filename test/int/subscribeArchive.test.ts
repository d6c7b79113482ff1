/**
 * `subscribe` from the very first event after the stream evicted the early ones: the archive
 * projection has them in PostgreSQL, the subscription reads them from there and then the stream,
 * with no gap and no duplicate, in stream order; filters and resume positions hold across the seam.
 */
import { createEvent, subscribe, type EventEnvelope, type Subscription, type SubscriptionItem } from '@mister-smith/core';
import { startTestEnv } from '@mister-smith/core/testing';
import { createProjectionHost, eventArchiveProjection, streamSubjects } from '@mister-smith/projections';
import { waitCaughtUp } from '@mister-smith/projections/testing';
import { describe, expect, it } from 'vitest';

const mk = (agent: string, n: number, type = 'Step'): EventEnvelope => createEvent({ type, subject: `agents.state.${agent}`, agentId: agent, data: { n } });

async function collect(sub: Subscription): Promise<SubscriptionItem[]> {
  const items: SubscriptionItem[] = [];
  for await (const item of sub) { items.push(item); if (item.kind === 'caught-up') break; }
  await sub.stop();
  return items;
}
const numbers = (items: SubscriptionItem[]) => items.flatMap((i) => (i.kind === 'event' ? [(i.record.event.data as { n: number }).n] : []));

describe('subscribe with the PostgreSQL archive', () => {
  it('back-fills what the stream evicted from the archive, then follows the stream: no gap, no duplicate', async () => {
    await using env = await startTestEnv();
    const log = env.logs.agentState;
    await using host = createProjectionHost(env, [eventArchiveProjection('agentState', streamSubjects(env.topology, 'agentState'))], { lockPollMs: 100 });
    await host.start();
    const acks = await log.appendBatch(Array.from({ length: 120 }, (_, i) => mk(i % 3 === 0 ? 'b' : 'a', i + 1, i % 2 ? 'Odd' : 'Even')));
    await waitCaughtUp(host);
    // The archive falls behind and the stream evicts its first 80 events: 81..120 are in both,
    // 121..150 only in the stream.
    await host.pause('archive.agent-state');
    await log.appendBatch(Array.from({ length: 30 }, (_, i) => mk('a', 121 + i, 'Even')));
    await env.nats.jsm.streams.purge(log.stream, { seq: acks[80]!.seq });
    expect((await log.bounds()).firstSeq).toBe(acks[80]!.seq);

    const all = await collect(subscribe(log, { from: 'start', archive: env.pg }));
    expect(all.some((i) => i.kind === 'gap')).toBe(false);
    expect(numbers(all)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    const seqs = all.flatMap((i) => (i.kind === 'event' ? [i.position.seq] : []));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(all.filter((i) => i.kind === 'event' && i.source === 'archive')).toHaveLength(80);

    // Filters apply to the archived part too, and live events follow the caught-up marker.
    const sub = subscribe(log, { agentId: 'b', types: ['Even'], from: 'start', archive: env.pg });
    const filtered: number[] = [];
    for await (const item of sub) {
      if (item.kind === 'caught-up') { await log.appendBatch([mk('a', 151, 'Even'), mk('b', 152, 'Even'), mk('b', 153, 'Odd')]); continue; }
      if (item.kind === 'event') filtered.push((item.record.event.data as { n: number }).n);
      if (filtered.includes(152)) break;
    }
    await sub.stop();
    expect(filtered).toEqual([...Array.from({ length: 120 }, (_, i) => i + 1).filter((n) => (n - 1) % 3 === 0 && (n - 1) % 2 === 0), 152]);

    // A position inside the archived range resumes there, across the seam.
    const at = all.find((i) => i.kind === 'event' && (i.record.event.data as { n: number }).n === 50)!;
    if (at.kind !== 'event') throw new Error('expected an event');
    expect(numbers(await collect(subscribe(log, { from: { after: at.position }, archive: env.pg })))).toEqual(Array.from({ length: 103 }, (_, i) => i + 51));

    // Archive rows lost too: a typed gap for exactly the missing sequences, then the rest.
    await env.pg.db.deleteFrom('mister_smith.event_archive').where('seq', '<', acks[10]!.seq).execute();
    const holed = await collect(subscribe(log, { from: 'start', archive: env.pg }));
    expect(holed[0]).toMatchObject({ kind: 'gap', reason: 'not-archived', fromSeq: 1, toSeq: acks[10]!.seq - 1 });
    expect(numbers(holed)).toEqual(Array.from({ length: 143 }, (_, i) => i + 11));
  });
});
