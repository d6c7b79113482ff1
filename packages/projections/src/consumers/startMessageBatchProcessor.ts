import { decodeEvent, type ConsumerSpec, type DatabaseHandle, type NatsHandle, type RecordedEvent, type Topology } from '@mister-smith/core';
import type { DeadLetter } from '../pg/deadLetters.js';
import { logicalSubject } from '../read/toProjectionItem.js';
import { streamState } from '../read/streamState.js';
import { describeError } from '../runner/describeError.js';
import { silentLogger, type ProjectionLogger } from '../runner/ProjectionLogger.js';
import type { ConsumerMessages, JsMsg } from '../util/natsTypes.js';
import { deadLetterWithRetry } from './deadLetterMessage.js';
import { ensureDurable } from './ensureDurable.js';
import { backoffMs, sleep } from '@mister-smith/core/util';

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
 * The batched pull consumer of seed 6.3 on AGENT_MESSAGES: pulls up to 100 messages per request
 * (each waiting up to 30 s), hands what has arrived to the handler in batches of at most 100
 * messages and 1 MB and acknowledges each batch; a
 * failed batch is delivered again (nak with backoff), and a message past its last delivery is
 * dead-lettered.
 */
export async function startMessageBatchProcessor(options: MessageBatchProcessorOptions): Promise<MessageBatchProcessor> {
  const { nats, pg, topology, handler } = options;
  const logger = options.logger ?? silentLogger;
  const spec: ConsumerSpec = { ...topology.consumers.batchProcessor, ...options.consumer, stream: topology.consumers.batchProcessor.stream };
  const name = await ensureDurable(nats, spec);
  const { epoch } = await streamState(nats, spec.stream);
  const stats = { batches: 0, messages: 0, failedBatches: 0, deadLettered: 0 };
  const abort = new AbortController();
  // Pull requests of max_batch messages that wait up to max_expires. nats.js 3.4 refuses max_messages
  // together with max_bytes in one request, so batches are cut at max_bytes here.
  const pullOptions = { max_messages: spec.maxBatch ?? 100, expires: (spec.maxExpiresSeconds ?? 30) * 1000 };
  const maxBytes = spec.maxBytes ?? Number.POSITIVE_INFINITY;
  let current: ConsumerMessages | undefined;

  const giveUp = async (m: JsMsg, reason: string) => {
    const letter: DeadLetter = { source: 'message-batch-processor', stream: spec.stream, epoch, seq: m.seq, subject: logicalSubject(topology.namespace, m.subject), reason, payload: m.data, attempts: m.info.deliveryCount };
    m.working();
    const outcome = await deadLetterWithRetry(pg, letter, logger, abort.signal);
    if (outcome === 'failed') return;
    if (outcome === 'recorded') stats.deadLettered++;
    m.term(reason.slice(0, 200));
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
        else m.nak(backoffMs(n, { baseMs: 500, maxMs: 30_000, jitter: 'equal' }));
      }
    }
  };

  const loop = (async () => {
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        const consumer = await nats.js.consumers.get(spec.stream, name);
        current = await consumer.consume(pullOptions);
        let batch: JsMsg[] = [];
        for await (const m of current) {
          batch.push(m);
          // Whatever has arrived forms the batch: up to max_batch, without waiting for more.
          if (batch.length < pullOptions.max_messages && current.getPending() > 0) continue;
          if (abort.signal.aborted) break; // unacknowledged: delivered again after the ack wait
          for (const part of splitByBytes(batch, maxBytes)) await processBatch(part);
          batch = [];
          failures = 0;
        }
        current = undefined;
      } catch (e) {
        if (abort.signal.aborted) break;
        failures++;
        logger.warn({ err: e, consumer: name, failures }, 'batch consumer failed; retrying');
        await sleep(backoffMs(failures, { baseMs: 250, maxMs: 10_000, jitter: 'equal' }), abort.signal);
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

/** Cuts a fetched batch into runs of at most `maxBytes` payload bytes (a larger message goes alone). */
function splitByBytes(batch: readonly JsMsg[], maxBytes: number): JsMsg[][] {
  const out: JsMsg[][] = [];
  let current: JsMsg[] = [];
  let bytes = 0;
  for (const m of batch) {
    if (current.length > 0 && bytes + m.data.length > maxBytes) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += m.data.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}
