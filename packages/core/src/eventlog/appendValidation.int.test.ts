import { headers as natsHeaders } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { MisterSmithError } from '../errors/MisterSmithError.js';
import { createEvent } from '../events/createEvent.js';
import type { EventEnvelope } from '../events/EventEnvelope.js';
import { deprovision } from '../nats/provision.js';
import { startTestEnv } from '../testing/index.js';
import { JetStreamEventLog } from './JetStreamEventLog.js';
import type { LogItem } from './EventLog.js';

const MB = 1024 * 1024;
const ev = (subject: string, data: unknown) => createEvent({ type: 'StateChanged', subject, data });

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  throw new Error('expected the promise to reject');
}

async function readAll(log: JetStreamEventLog, filter: string): Promise<LogItem[]> {
  const out: LogItem[] = [];
  for await (const item of log.read({ filter })) out.push(item);
  return out;
}

describe('JetStreamEventLog append validation', () => {
  it('refuses an event over AGENT_STATE max_msg_size (1 MiB) with PAYLOAD_TOO_LARGE and stores nothing', async () => {
    await using env = await startTestEnv({ migrate: false });
    const log = env.logs.agentState;
    const err = await errorOf(log.append(ev('agents.state.a1', { blob: 'x'.repeat(MB) })));
    expect(MisterSmithError.is(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect((err as MisterSmithError).details).toMatchObject({ subject: 'agents.state.a1' });
    expect((err as MisterSmithError).details.size).toBeGreaterThan(MB);
    expect((await log.bounds()).messages).toBe(0);
    // A batch with one oversized event fails, and the small ones around it are still appended.
    const batch = log.appendBatch([ev('agents.state.a1', 1), ev('agents.state.a1', { blob: 'x'.repeat(2 * MB) })]);
    expect(MisterSmithError.is(await errorOf(batch), 'PAYLOAD_TOO_LARGE')).toBe(true);
    // Something just under the limit still goes through.
    await log.append(ev('agents.state.a1', { blob: 'x'.repeat(MB - 4096) }));
    expect((await log.bounds()).messages).toBe(2);
  });

  it('refuses a task event over the server max_payload with PAYLOAD_TOO_LARGE although the stream allows 5 MiB', async () => {
    await using env = await startTestEnv({ migrate: false });
    expect(env.topology.streams.taskExecution.maxMsgSize).toBe(5 * MB);
    const maxPayload = env.nats.nc.info?.max_payload ?? 0;
    expect(maxPayload).toBeLessThan(2 * MB);
    const err = await errorOf(env.logs.taskExecution.append(ev('tasks.created.t1', 'x'.repeat(2 * MB))));
    expect(MisterSmithError.is(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect((await env.logs.taskExecution.bounds()).lastSeq).toBe(0);
  });

  it.each(['agents.state.a b', 'agents.state.*', 'agents.state.>', 'agents..a1', '', '.agents.state.a1'])(
    'refuses the subject %j with INVALID_SUBJECT', async (subject) => {
      await using env = await startTestEnv({ migrate: false });
      const event = { ...ev('agents.state.a1', 1), subject } as EventEnvelope;
      const err = await errorOf(env.logs.agentState.append(event));
      expect(MisterSmithError.is(err, 'INVALID_SUBJECT'), String(err)).toBe(true);
      expect((await env.logs.agentState.bounds()).messages).toBe(0);
    });

  it('refuses a subject of another stream, or of none, with INVALID_SUBJECT instead of storing it elsewhere', async () => {
    await using env = await startTestEnv({ migrate: false });
    for (const subject of ['tasks.created.t1', 'messages.direct.a1', 'nobody.listens.here', 'agents.state']) {
      const err = await errorOf(env.logs.agentState.append(ev(subject, 1)));
      expect(MisterSmithError.is(err, 'INVALID_SUBJECT'), `${subject}: ${String(err)}`).toBe(true);
    }
    expect((await env.logs.taskExecution.bounds()).lastSeq).toBe(0);
    expect((await env.logs.agentMessages.bounds()).lastSeq).toBe(0);
    expect((await env.logs.agentState.bounds()).lastSeq).toBe(0);
    // Every subject family of the stream is accepted.
    for (const s of ['agents.state.a1', 'agents.lifecycle.a1', 'agents.heartbeat.sup1', 'agents.state.a1.deep']) await env.logs.agentState.append(ev(s, 1));
    expect((await env.logs.agentState.bounds()).messages).toBe(4);
  });

  it('fails with NOT_FOUND, not a hang, when the stream was deleted after the log was used', async () => {
    await using env = await startTestEnv({ migrate: false });
    const log = env.logs.agentState;
    await log.append(ev('agents.state.a1', 1));
    await deprovision(env.nats, env.topology);
    const err = await errorOf(log.append(ev('agents.state.a1', 2), { timeoutMs: 2000 }));
    expect(MisterSmithError.is(err, 'NOT_FOUND'), String(err)).toBe(true);
    expect((err as MisterSmithError).details).toEqual({ stream: env.topology.streams.agentState.name });
  });

  it('fails with NOT_FOUND when its stream never existed', async () => {
    await using env = await startTestEnv({ migrate: false });
    const ns = `${env.namespace}_x`;
    const spec = { ...env.topology.streams.agentState, name: `${ns.toUpperCase()}_BOGUS`, subjects: [`${ns}.agents.state.>`] };
    const log = new JetStreamEventLog(env.nats, spec, { namespace: ns });
    const err = await errorOf(log.append(ev('agents.state.a1', 1), { timeoutMs: 2000 }));
    expect(MisterSmithError.is(err, 'NOT_FOUND'), String(err)).toBe(true);
    expect(MisterSmithError.is(await errorOf(log.bounds()), 'NOT_FOUND')).toBe(true);
  });

  it('reads back a message published raw that is not an envelope as a malformed item, between good events', async () => {
    await using env = await startTestEnv({ migrate: false });
    const log = env.logs.agentState;
    await log.append(ev('agents.state.a1', 'good-1'));
    const h = natsHeaders();
    h.set('Ms-Event-Type', 'Garbage');
    const raw = await env.nats.js.publish(log.subjectOf('agents.state.a1'), new TextEncoder().encode('{"not": "an envelope"'), { headers: h });
    const futureSchema = { ...ev('agents.state.a1', 'future'), schemaVersion: 99 };
    await env.nats.js.publish(log.subjectOf('agents.state.a1'), new TextEncoder().encode(JSON.stringify(futureSchema)));
    await log.append(ev('agents.state.a1', 'good-2'));

    const items = await readAll(log, 'agents.state.a1');
    expect(items.map((i) => i.kind)).toEqual(['event', 'malformed', 'malformed', 'event']);
    const bad = items[1]!;
    if (bad.kind !== 'malformed') throw new Error('expected a malformed item');
    expect(bad.seq).toBe(raw.seq);
    expect(bad.streamSubject).toBe(log.subjectOf('agents.state.a1'));
    expect(MisterSmithError.is(bad.error, 'MALFORMED_EVENT')).toBe(true);
    expect(new TextDecoder().decode(bad.data)).toBe('{"not": "an envelope"');
    const future = items[2]!;
    expect(future.kind === 'malformed' && MisterSmithError.is(future.error, 'UNSUPPORTED_SCHEMA')).toBe(true);
    const last = items[3]!;
    expect(last.kind === 'event' && last.record.event.data).toBe('good-2');
  });
});
