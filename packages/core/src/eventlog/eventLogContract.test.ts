import { expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { createEvent } from '../events/createEvent.js';
import type { EventLog, LogItem } from './EventLog.js';

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  throw new Error('expected the promise to reject');
}

const ev = (agentId: string, n: number, id?: string) =>
  createEvent({ type: 'StateChanged', subject: `agents.state.${agentId}`, agentId, data: { key: 'k', op: 'put', value: n, stored: null, strategy: 'lww', writer: 'w' }, ...(id ? { id } : {}) });

async function collect(it: AsyncIterable<LogItem>): Promise<number[]> {
  const out: number[] = [];
  for await (const item of it) if (item.kind === 'event') out.push((item.record.event.data as { value: number }).value);
  return out;
}

/**
 * The `EventLog` contract, run against every implementation (a JetStream stream capturing
 * `agents.state.>`, in memory): call it inside a `describe` with a factory for an empty log.
 */
export function eventLogContract(open: () => Promise<{ log: EventLog; dispose(): PromiseLike<void> }>): void {
  const withLog = (fn: (log: EventLog) => Promise<void>) => async () => {
    const { log, dispose } = await open();
    try { await fn(log); } finally { await dispose(); }
  };

  it('appends in order under one sequence and one epoch, and reads by subject filter', withLog(async (log) => {
    const a1 = await log.append(ev('a', 1));
    const b1 = await log.append(ev('b', 2));
    const a2 = await log.append(ev('a', 3));
    expect([a1.seq < b1.seq, b1.seq < a2.seq]).toEqual([true, true]);
    expect(new Set([a1.epoch, b1.epoch, a2.epoch, await log.epoch()]).size).toBe(1);
    expect(await collect(log.read({ filter: 'agents.state.a' }))).toEqual([1, 3]);
    expect(await collect(log.read({ filter: 'agents.state.>' }))).toEqual([1, 2, 3]);
    expect(await collect(log.read({ filter: 'agents.state.>', from: { seq: b1.seq } }))).toEqual([2, 3]);
    expect(await collect(log.read({ filter: 'agents.state.>', toSeq: b1.seq }))).toEqual([1, 2]);
    expect(await log.headOf('agents.state.a')).toBe(a2.seq);
    expect(await log.headOf('agents.state.none')).toBe(0);
    expect((await log.bounds()).lastSeq).toBe(a2.seq);
  }));

  it('optimistic concurrency per subject: an append expecting another last sequence is a SEQUENCE_CONFLICT', withLog(async (log) => {
    const first = await log.append(ev('a', 1), { expectedLastSubjectSeq: 0 });
    await log.append(ev('b', 2)); // another subject does not move a's head
    await log.append(ev('a', 3), { expectedLastSubjectSeq: first.seq });
    expect(MisterSmithError.is(await errorOf(log.append(ev('a', 4), { expectedLastSubjectSeq: first.seq })), 'SEQUENCE_CONFLICT')).toBe(true);
    expect(await collect(log.read({ filter: 'agents.state.a' }))).toEqual([1, 3]);
  }));

  it('deduplicates a retried append by event id: same sequence, marked duplicate, stored once', withLog(async (log) => {
    const e = ev('a', 1);
    const first = await log.append(e);
    const again = await log.append(e);
    expect(again).toMatchObject({ seq: first.seq, duplicate: true });
    expect(first.duplicate).toBe(false);
    expect(await collect(log.read({ filter: 'agents.state.a' }))).toEqual([1]);
  }));

  it('subscribe yields what is stored, then caught-up, then new events until stopped', withLog(async (log) => {
    await log.append(ev('a', 1));
    const sub = log.subscribe({ filter: 'agents.state.a' });
    const seen: string[] = [];
    for await (const item of sub) {
      seen.push(item.kind === 'event' ? String((item.record.event.data as { value: number }).value) : item.kind);
      if (item.kind === 'caught-up') await log.append(ev('a', 2));
      if (seen.length === 3) break;
    }
    await sub.stop();
    expect(seen).toEqual(['1', 'caught-up', '2']);
  }));
}
