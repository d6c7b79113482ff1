import { setMaxListeners } from 'node:events';
import { decodeEvent, msError, type ConsumerSpec, type DatabaseHandle, type NatsHandle, type TaskEvent, type Topology } from '@mister-smith/core';
import { logicalSubject } from '../read/toProjectionItem.js';
import { streamState } from '../read/streamState.js';
import { describeError } from '../runner/describeError.js';
import { silentLogger, type ProjectionLogger } from '../runner/ProjectionLogger.js';
import type { DeadLetter } from '../pg/deadLetters.js';
import type { ConsumerMessages, JsMsg } from '../util/natsTypes.js';
import { deadLetterWithRetry } from './deadLetterMessage.js';
import { ensureDurable } from './ensureDurable.js';
import { RateLimiter } from './RateLimiter.js';
import { backoffMs } from '@mister-smith/core/util';

/** What a task handler learns about the delivery. */
export interface TaskDelivery {
  readonly seq: number;
  readonly subject: string;
  /** 1 on the first delivery; the task is dead-lettered when the last one (`maxDeliver`) fails. */
  readonly deliveryCount: number;
  readonly maxDeliver: number;
  /** Aborted when the ack wait is nearly over or the processor stops. */
  readonly signal: AbortSignal;
}

/** Processes one started task; throwing (or running past the ack wait) means "deliver again". */
export type TaskHandler = (task: TaskEvent, delivery: TaskDelivery) => Promise<void>;

/** Options of the task processor. */
export interface TaskProcessorOptions {
  readonly nats: NatsHandle;
  readonly pg: DatabaseHandle;
  readonly topology: Topology;
  readonly handler: TaskHandler;
  /** Overrides of seed 6.3's `task-processor` consumer (name, ackWaitSeconds, maxDeliver, maxAckPending, rateLimitPerSecond, filterSubject). */
  readonly consumer?: Partial<Omit<ConsumerSpec, 'stream'>>;
  /** Handlers in flight (default 16, at most max_ack_pending). */
  readonly concurrency?: number;
  readonly logger?: ProjectionLogger;
}

/** Counters of a task processor. */
export interface TaskProcessorStats {
  succeeded: number;
  failed: number;
  deadLettered: number;
}

/** A running task processor. */
export interface TaskProcessor extends AsyncDisposable {
  readonly consumerName: string;
  readonly stats: Readonly<TaskProcessorStats>;
  /** Stops pulling and waits for handlers in flight (their signal aborts; unacknowledged tasks are redelivered). */
  stop(): Promise<void>;
}

/**
 * The durable task processor of seed 6.3: explicit acks, ack wait 30 s, at most 3 deliveries, 100
 * unacknowledged at a time, filter `tasks.started.>`, rate-limited in the client. A handler that
 * throws or outlives the ack wait gets the task again (nak with backoff); after the last delivery
 * the task is written to `mister_smith.dead_letters` with the reason and acknowledged.
 *
 * @example
 * await using tp = await startTaskProcessor({ nats, pg, topology, handler: async (task) => run(task.data) });
 */
export async function startTaskProcessor(options: TaskProcessorOptions): Promise<TaskProcessor> {
  const { nats, pg, topology, handler } = options;
  const logger = options.logger ?? silentLogger;
  const spec: ConsumerSpec = { ...topology.consumers.taskProcessor, ...options.consumer, stream: topology.consumers.taskProcessor.stream };
  const name = await ensureDurable(nats, spec);
  const maxDeliver = spec.maxDeliver;
  const ackWaitMs = (spec.ackWaitSeconds ?? 30) * 1000;
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 16, spec.maxAckPending ?? 100));
  const limiter = new RateLimiter(spec.rateLimitPerSecond ?? Number.POSITIVE_INFINITY);
  const { epoch } = await streamState(nats, spec.stream);
  const stats: TaskProcessorStats = { succeeded: 0, failed: 0, deadLettered: 0 };
  const abort = new AbortController();
  // Each task in flight listens on it (removed when the task ends): up to `concurrency` at once,
  // plus the limiter's and the dead-letter retry's waits.
  setMaxListeners(concurrency + 10, abort.signal);
  const inflight = new Set<Promise<void>>();
  let messages: ConsumerMessages;
  try {
    const consumer = await nats.js.consumers.get(spec.stream, name);
    messages = await consumer.consume({ max_messages: Math.min(spec.maxAckPending ?? 100, 100) });
  } catch (e) {
    throw msError('NATS_UNAVAILABLE', `cannot consume ${spec.stream}/${name}`, { cause: e });
  }

  const letterOf = (m: JsMsg, reason: string): DeadLetter => ({
    source: 'task-processor', stream: spec.stream, epoch, seq: m.seq, subject: logicalSubject(topology.namespace, m.subject),
    reason, payload: m.data, attempts: m.info.deliveryCount,
  });
  const giveUp = async (m: JsMsg, reason: string) => {
    m.working();
    const outcome = await deadLetterWithRetry(pg, letterOf(m, reason), logger, abort.signal);
    if (outcome === 'failed') return;
    if (outcome === 'recorded') stats.deadLettered++;
    // Acknowledged, not terminated: the dead letter is the outcome. On nats-server 2.9 a terminated
    // message stays in an interest-retention stream (its ack floor does not pass it) until max_age.
    m.ack();
  };

  const handle = async (m: JsMsg): Promise<void> => {
    let task: TaskEvent;
    try {
      const e = decodeEvent(m.data);
      if (!/^Task[A-Z]/.test(e.type)) throw msError('MALFORMED_EVENT', `expected a task event, got ${e.type}`);
      task = e as TaskEvent;
    } catch (e) {
      await giveUp(m, `malformed task event: ${describeError(e)}`);
      return;
    }
    const deliveryCount = m.info.deliveryCount;
    const ac = new AbortController();
    const onStop = () => ac.abort(msError('CLOSED', 'the task processor is stopping'));
    abort.signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(() => ac.abort(msError('TIMEOUT', `task ${task.data?.task_id} ran past the ack wait of ${ackWaitMs} ms`)), Math.max(50, ackWaitMs * 0.9));
    try {
      await Promise.race([
        handler(task, { seq: m.seq, subject: logicalSubject(topology.namespace, m.subject), deliveryCount, maxDeliver, signal: ac.signal }),
        new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true })),
      ]);
      m.ack();
      stats.succeeded++;
    } catch (e) {
      if (abort.signal.aborted) return; // stopping: left unacknowledged, redelivered after the ack wait
      stats.failed++;
      const reason = `${describeError(e)} (delivery ${deliveryCount} of ${maxDeliver})`;
      if (maxDeliver > 0 && deliveryCount >= maxDeliver) {
        logger.warn({ seq: m.seq, subject: m.subject, reason }, 'task dead-lettered');
        await giveUp(m, reason);
      } else {
        logger.info({ seq: m.seq, subject: m.subject, reason }, 'task failed; it will be delivered again');
        m.nak(backoffMs(deliveryCount, { baseMs: 200, maxMs: Math.max(200, ackWaitMs / 2), jitter: 'equal' }));
      }
    } finally {
      clearTimeout(timer);
      abort.signal.removeEventListener('abort', onStop);
    }
  };

  const loop = (async () => {
    for await (const m of messages) {
      if (abort.signal.aborted) break;
      await limiter.take(abort.signal);
      while (inflight.size >= concurrency) await Promise.race(inflight);
      if (abort.signal.aborted) break;
      const p: Promise<void> = handle(m).catch((e: unknown) => { logger.error({ err: e, seq: m.seq }, 'task handling failed unexpectedly; the task is redelivered'); }).finally(() => { inflight.delete(p); });
      inflight.add(p);
    }
  })().catch((e: unknown) => {
    if (!abort.signal.aborted) logger.error({ err: e, consumer: name }, 'the task processor stopped reading; unacknowledged tasks are redelivered to the next processor');
  });

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    abort.abort();
    await messages.close();
    await loop;
    await Promise.all(inflight);
  })());
  return { consumerName: name, stats, stop, [Symbol.asyncDispose]: stop };
}
