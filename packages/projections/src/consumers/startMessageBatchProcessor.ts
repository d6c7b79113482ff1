import { decodeEvent, type ConsumerSpec, type DatabaseHandle, type NatsHandle, type RecordedEvent, type Topology } from '@mister-smith/core';
import type { DeadLetter } from '../pg/deadLetters.js';
import { logicalSubject } from '../read/toProjectionItem.js';
import { streamState } from '../read/streamState.js';
import { describeError } from '../runner/describeError.js';
import { silentLogger, type ProjectionLogger } from '../runner/ProjectionLogger.js';
import { backoffMs } from '../util/backoff.js';
import type { ConsumerMessages, FetchOptions, JsMsg } from '../util/natsTypes.js';
import { sleep } from '../util/sleep.js';
import { deadLetterWithRetry } from './deadLetterMessage.js';
import { ensureDurable } from './ensureDurable.js';

/** Handles one batch of agent messages; throwing means "deliver the batch again". */
export type MessageBatchHandler = (batch: readonly RecordedEvent[]) => Promise<void>;

/** Options of the batch processor. */
export interface MessageBatchProcessorOptions {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  readonly handler: MessageBatchHandler;
  /** Overrides of seed 6.3's `message-batch-processor` consumer (maxBatch, maxExpiresSeconds, maxBytes, ackWaitSeconds, maxDeliver, name). */
  readonly consumer?: Partial<Omit<ConsumerSpec, 'stream'>>;
  readonly logger?: ProjectionLogger;
}

/** A running batch processor. */
export interface MessageBatchProcessor extends AsyncDisposable {
  readonly consumerName: string;
  readonly stats: Readonly<{ batches: number; messages: number; failedBatches: number; deadLettered: number }>;
  stop(): Promise<void>;
}

/**
 * The batched pull consumer of seed 6.3 on AGENT_MESSAGES: fetches up to 100 messages or 1 MB,
 * waiting up to 30 s, hands the batch to the handler and acknowledges it; a failed batch is
 * delivered again (nak with backoff), and a message past its last delivery is dead-lettered.
 */
export async function startMessageBatchProcessor(options: MessageBatchProcessorOptions): Promise<MessageBatchProcessor> {
  const { nats, pg, topology, handler } = options;
  const logger = options.logger ?? silentLogger;
  const spec: ConsumerSpec = { ...topology.consumers.batchProcessor, ...options.consumer, stream: topology.consumers.batchProcessor.stream };
  const name = await ensureDurable(nats, spec);
  const { epoch } = await streamState(nats, spec.stream);
  const stats = { batches: 0, messages: 0, failedBatches: 0, deadLettered: 0 };
  const abort = new AbortController();
  const fetchOptions = {
    max_messages: spec.maxBatch ?? 100,
    expires: (spec.maxExpiresSeconds ?? 30) * 1000,
    ...(spec.maxBytes !== undefined ? { max_bytes: spec.maxBytes } : {}),
  } as FetchOptions;
  let current: ConsumerMessages | undefined;

  const giveUp = async (m: JsMsg, reason: string) => {
    const letter: DeadLetter = { source: 'message-batch-processor', stream: spec.stream, epoch, seq: m.seq, subject: logicalSubject(topology.namespace, m.subject), reason, payload: m.data, attempts: m.info.deliveryCount };
    if (await deadLetterWithRetry(pg, letter, logger, abort.signal)) {
      stats.deadLettered++;
      m.term(reason.slice(0, 200));
    }
  };

  const processBatch = async (batch: JsMsg[]) => {
    const good: { m: JsMsg; record: RecordedEvent }[] = [];
    for (const m of batch) {
      try {
        good.push({ m, record: { event: decodeEvent(m.data), seq: m.seq, streamSubject: m.subject, storedAt: m.time } });
      } catch (e) {
        await giveUp(m, `malformed message: ${describeError(e)}`);
      }
    }
    if (good.length === 0) return;
    try {
      await handler(good.map((g) => g.record));
      for (const g of good) g.m.ack();
      stats.batches++;
      stats.messages += good.length;
    } catch (e) {
      stats.failedBatches++;
      for (const { m } of good) {
        const n = m.info.deliveryCount;
        if (spec.maxDeliver > 0 && n >= spec.maxDeliver) await giveUp(m, `${describeError(e)} (delivery ${n} of ${spec.maxDeliver})`);
        else m.nak(backoffMs(n, 500, 30_000));
      }
    }
  };

  const loop = (async () => {
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        const consumer = await nats.js.consumers.get(spec.stream, name);
        current = await consumer.fetch(fetchOptions);
        const batch: JsMsg[] = [];
        for await (const m of current) batch.push(m);
        current = undefined;
        if (abort.signal.aborted) break; // unacknowledged: delivered again after the ack wait
        if (batch.length > 0) await processBatch(batch);
        failures = 0;
      } catch (e) {
        if (abort.signal.aborted) break;
        failures++;
        logger.warn({ err: e, consumer: name, failures }, 'batch fetch failed; retrying');
        await sleep(backoffMs(failures, 250, 10_000), abort.signal);
      }
    }
  })();

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    abort.abort();
    await current?.close();
    await loop;
  })());
  return { consumerName: name, stats, stop, [Symbol.asyncDispose]: stop };
}
