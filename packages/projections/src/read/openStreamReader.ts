import { classifyNatsError, msError, namespacedSubject, type NatsHandle } from '@mister-smith/core';
import type { ProjectionItem } from '../types/ProjectionItem.js';
import { deliverPolicy, type ConsumerMessages, type OrderedConsumerOptions } from '../util/natsTypes.js';
import { itemOf } from './toProjectionItem.js';

/** Options of `openStreamReader`. */
export interface StreamReaderOptions {
  readonly stream: string;
  readonly namespace: string | undefined;
  readonly epoch: number;
  /** First sequence to read. */
  readonly fromSeq: number;
  /** Logical filter subject; omitted: the whole stream. */
  readonly filter?: string;
  /** Messages pulled per request (default 1000); the reader buffers at most twice this. */
  readonly pull?: number;
  /** Called when the consumer was recreated or the stream vanished: the caller re-checks the stream epoch. */
  readonly onReset?: (reason: string) => void;
}

/** Batched reads from an ordered consumer, with back-pressure. */
export interface StreamReader extends AsyncDisposable {
  /**
   * Resolves with up to `max` items in stream order, waiting for the first (at most `idleMs` when
   * given: then it may resolve with none); undefined once stopped. With `fill`, it waits (up to
   * `idleMs`) until `max` items are buffered or the consumer reports nothing more pending, so a
   * replay gets full batches; `max` is then capped at what the reader buffers (twice `pull`).
   */
  next(max: number, idleMs?: number, fill?: boolean): Promise<ProjectionItem[] | undefined>;
  /** Messages received so far. */
  readonly delivered: number;
  /**
   * How many times the ordered consumer was recreated (its name changed) before the items of the
   * last batch: a batch never spans a recreation, so a caller can re-check the stream's epoch (a
   * deleted and recreated stream restarts its sequences) before trusting it.
   */
  readonly generation: number;
  /** Items buffered and not yet taken. */
  readonly buffered: number;
  /** Messages the consumer reported still pending after the last one received. */
  readonly pending: number;
  stop(): Promise<void>;
}

/**
 * Opens an ordered consumer (ephemeral, no acks, in stream order) from `fromSeq` and hands out
 * batches of decoded items. Whatever is buffered forms the next batch, so batches grow under load
 * and stay small when live.
 */
export async function openStreamReader(nats: NatsHandle, options: StreamReaderOptions): Promise<StreamReader> {
  const pull = options.pull ?? 1000;
  const opts: Partial<OrderedConsumerOptions> = {
    deliver_policy: deliverPolicy('by_start_sequence'),
    opt_start_seq: Math.max(1, options.fromSeq),
    ...(options.filter !== undefined ? { filter_subjects: namespacedSubject(options.namespace, options.filter) } : {}),
  };
  let messages: ConsumerMessages;
  try {
    const consumer = await nats.js.consumers.get(options.stream, opts);
    messages = await consumer.consume({ max_messages: pull });
  } catch (e) {
    throw classifyNatsError(e, `opening a reader on ${options.stream}`);
  }
  const prefix = options.namespace ? `${options.namespace}.` : undefined;
  const buffer: ProjectionItem[] = [];
  const generations: number[] = [];
  let consumerName: string | undefined;
  let generation = 0;
  let lastGeneration = 0;
  let stopped = false;
  let closedByCaller = false;
  let failure: unknown;
  let pending = 0;
  let delivered = 0;
  let wakeReader: (() => void) | undefined;
  let wakePump: (() => void) | undefined;
  /** How many buffered items the waiting `next` needs (1, or a full batch in fill mode). */
  let wanted = 1;
  const wake = (force = true) => {
    if (!force && buffer.length < wanted && pending > 0) return;
    const w = wakeReader; wakeReader = undefined; w?.();
  };

  const pump = (async () => {
    for await (const m of messages) {
      if (stopped) break;
      pending = m.info.pending;
      delivered++;
      if (consumerName !== undefined && m.info.consumer !== consumerName) {
        generation++;
        options.onReset?.('ordered consumer recreated');
      }
      consumerName = m.info.consumer;
      generations.push(generation);
      const stored = m.subject;
      buffer.push(itemOf(options.epoch, m.seq, prefix !== undefined && stored.startsWith(prefix) ? stored.slice(prefix.length) : stored, m.time, m.data));
      if (wakeReader) wake(false);
      if (buffer.length >= pull * 2) await new Promise<void>((r) => { wakePump = r; });
    }
  })().catch((e: unknown) => { if (!stopped) failure = classifyNatsError(e, `reading ${options.stream}`); }).finally(() => { stopped = true; wake(); });

  const watch = (async () => {
    for await (const s of messages.status()) {
      if (s.type === 'consumer_deleted' || s.type === 'stream_not_found' || s.type === 'consumer_not_found') {
        // The stream (or its consumer) is gone: end the read with an error; the caller restarts
        // from its checkpoint once the stream is back, and sees whether it is a new incarnation.
        if (!stopped) {
          failure = msError('NOT_FOUND', `stream ${options.stream} or its reader vanished (${s.type})`, { details: { stream: options.stream, notification: s.type } });
          stopped = true;
          wake();
          await messages.close();
        }
        return;
      }
      if (s.type === 'ordered_consumer_recreated' || s.type === 'reset' || s.type === 'heartbeats_missed') options.onReset?.(s.type);
    }
  })().catch((e: unknown) => { if (!stopped) options.onReset?.(`status stream failed: ${String(e)}`); });

  const stop = async () => {
    closedByCaller = true;
    if (!stopped) {
      stopped = true;
      wake();
      const w = wakePump; wakePump = undefined; w?.();
      await messages.close();
    }
    await pump;
    await watch;
  };

  return {
    async next(max, idleMs, fill = false) {
      wanted = fill ? Math.max(1, Math.min(max, pull * 2)) : 1;
      const short = () => !stopped && (buffer.length === 0 || (fill && buffer.length < wanted && pending > 0));
      if (short() && idleMs !== undefined) {
        await new Promise<void>((r) => {
          const t = setTimeout(() => { wakeReader = undefined; r(); }, idleMs);
          wakeReader = () => { clearTimeout(t); r(); };
        });
        wanted = 1;
        if (buffer.length === 0 && !stopped) return [];
      }
      while (buffer.length === 0 && !stopped) await new Promise<void>((r) => { wakeReader = r; });
      wanted = 1;
      if (closedByCaller) return undefined;
      if (buffer.length === 0) {
        if (failure !== undefined) { const f = failure; failure = undefined; throw f; }
        return undefined;
      }
      lastGeneration = generations[0]!;
      let n = 0;
      while (n < Math.min(max, buffer.length) && generations[n] === lastGeneration) n++;
      generations.splice(0, n);
      const batch = buffer.splice(0, n);
      if (buffer.length < pull) { const w = wakePump; wakePump = undefined; w?.(); }
      return batch;
    },
    get buffered() { return buffer.length; },
    get pending() { return pending; },
    get delivered() { return delivered; },
    get generation() { return lastGeneration; },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
