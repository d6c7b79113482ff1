import { createEvent, createStateStore, type StateChangedData } from '@mister-smith/core';
import { startTestEnv, type TestEnv } from '@mister-smith/core/testing';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { backupNamespace } from './backupNamespace.js';
import { restoreNamespace } from './restoreNamespace.js';

const put = (n: number) => createEvent({
  type: 'StateChanged', subject: 'agents.state.r1', agentId: 'r1',
  data: { key: 'n', op: 'put', value: n, stored: null, strategy: 'lww', writer: 'w' } satisfies StateChangedData,
});

/** The AGENT_STATE messages of `env` as [seq, data] pairs, with the stream's first and last sequence. */
async function streamOf(env: TestEnv): Promise<{ first: number; last: number; messages: [number, string][] }> {
  const name = env.topology.streams.agentState.name;
  const { state } = await env.nats.jsm.streams.info(name);
  const messages: [number, string][] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const m = await env.nats.jsm.streams.getMessage(name, { seq }).catch(() => undefined);
    if (m) messages.push([seq, new TextDecoder().decode(m.data)]);
  }
  return { first: state.first_seq, last: state.last_seq, messages };
}

describe('restoreNamespace', () => {
  it('restores a stream that starts after sequence 1 (its start evicted) and has a gap inside, at the same sequences', async () => {
    await using source = await startTestEnv();
    for (let n = 1; n <= 8; n++) await source.logs.agentState.append(put(n));
    const name = source.topology.streams.agentState.name;
    await source.nats.jsm.streams.purge(name, { seq: 4 }); // 1..3 evicted: the stream starts at 4
    await source.nats.jsm.streams.deleteMessage(name, 6, false); // a gap inside
    const before = await streamOf(source);
    expect(before.first).toBe(4);
    expect(before.messages.map(([s]) => s)).toEqual([4, 5, 7, 8]);

    const file = new PassThrough();
    const chunks: Buffer[] = [];
    file.on('data', (c: Buffer) => chunks.push(c));
    await backupNamespace(source, file);
    file.end();

    await using target = await startTestEnv();
    const summary = await restoreNamespace(target, Readable.from(Buffer.concat(chunks)));
    expect(summary.messages.agentState).toBe(4);
    const after = await streamOf(target);
    expect(after.messages).toEqual(before.messages);
    expect(after.last).toBe(8);
    // New events continue after the restored head.
    expect((await target.logs.agentState.append(put(9))).seq).toBe(9);
    // The state plane writes there as usual (its appends expect sequences too).
    await using store = await createStateStore(target, { writerId: 'after-restore' });
    await store.write('r1', 'n', 10);
    await store.write('r1', 'n', 11);
    expect(await store.read('r1', 'n')).toBe(11);
  });
});
