import { describe, expect, it } from 'vitest';
import { startTestEnv } from '@mister-smith/core/testing';
import { createEvent, lifecycleChanged, stateChanged, type LogItem, type RecordedEvent } from '@mister-smith/core';
import { queryRows } from '../testing/queryRows.js';
import { waitFor } from '../testing/waitFor.js';
import { monitorAgentState } from './monitorAgentState.js';
import { startMessageBatchProcessor } from './startMessageBatchProcessor.js';

const message = (to: string, n: number) => createEvent({ type: 'DirectMessage', subject: `messages.direct.${to}`, data: { n } });

describe('seed 6.3 consumers', () => {
  it('monitors agent state from the last message on, and processes agent messages in batches with redelivery and dead letters', async () => {
    await using env = await startTestEnv({ migrate: true });
    // Monitor: deliver last, then live.
    await env.logs.agentState.appendBatch([
      stateChanged('m1', { key: 'a', op: 'put', value: 1, stored: null, strategy: 'lww', writer: 't' }),
      lifecycleChanged('m1', { from: 'COLD', to: 'HYDRATING', reason: 'r', agentType: 't', supervisorId: 's' }),
    ]);
    const monitor = await monitorAgentState(env.nats, env.topology);
    const seen: LogItem[] = [];
    const reading = (async () => {
      for await (const item of monitor) {
        seen.push(item);
        if (seen.length === 2) break;
      }
    })();
    await waitFor(() => seen.length === 1, { what: 'last message' });
    await env.logs.agentState.append(stateChanged('m1', { key: 'b', op: 'put', value: 2, stored: null, strategy: 'lww', writer: 't' }));
    await reading;
    await monitor.stop();
    expect(seen.map((i) => (i.kind === 'event' ? i.record.event.type : i.kind))).toEqual(['AgentLifecycleChanged', 'StateChanged']);

    // Batch processor: the first batch fails once and is delivered again; a malformed message is dead-lettered.
    const messages = env.logs.agentMessages;
    await messages.appendBatch(Array.from({ length: 150 }, (_, i) => message(`agent-${i % 3}`, i)));
    await env.nats.js.publish(messages.subjectOf('messages.direct.agent-0'), new TextEncoder().encode('\u0000not json'));
    const batches: RecordedEvent[][] = [];
    let failedBatch: number[] | undefined;
    await using processor = await startMessageBatchProcessor({
      nats: env.nats, pg: env.pg, topology: env.topology, consumer: { ackWaitSeconds: 3 },
      handler: async (batch) => {
        if (!failedBatch) {
          failedBatch = batch.map((r) => r.seq);
          throw new Error('try again');
        }
        batches.push([...batch]);
      },
    });
    await waitFor(() => batches.flat().length === 150 && processor.stats.deadLettered === 1, { what: 'all messages processed', timeoutMs: 30_000 });
    expect(batches.every((b) => b.length <= 100)).toBe(true);
    expect(new Set(batches.flat().map((r) => (r.event.data as { n: number }).n)).size).toBe(150);
    expect(processor.stats.failedBatches).toBe(1);
    const processed = new Set(batches.flat().map((r) => r.seq));
    expect(failedBatch!.every((seq) => processed.has(seq))).toBe(true);
    const letters = await queryRows<{ source: string; reason: string }>(env.pg, `SELECT source, reason FROM mister_smith.dead_letters`);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.source).toBe('message-batch-processor');
    expect(letters[0]!.reason).toMatch(/malformed/);
  });
});
