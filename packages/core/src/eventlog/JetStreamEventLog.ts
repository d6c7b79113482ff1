import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { assertSubject } from '../config/identifiers.js';
import { namespacedSubject, type StreamSpec } from '../config/topology.js';
import { MisterSmithError, msError } from '../errors/MisterSmithError.js';
import { decodeEvent, encodeEvent } from '../events/eventCodec.js';
import type { EventEnvelope } from '../events/EventEnvelope.js';
import type { NatsHandle } from '../nats/connectNats.js';
import { JsCodes, classifyNatsError, isTransientNatsError, jsApiCode } from '../nats/natsErrors.js';
import { RETRY_BUDGET_MS, retryTransient } from '../nats/retryTransient.js';
import { AsyncQueue } from '../util/AsyncQueue.js';
import { backoffMs } from '../util/backoffMs.js';
import { sleep } from '../util/sleep.js';
import { subjectMatches } from '../config/subjectMatches.js';
import { JetStreamLargeValues, type LargeValueStore } from '../state/largeValues.js';
import { resolveLogItem } from '../state/resolvingEventLog.js';
import type { AppendOptions, AppendResult, EventLog, EventSubscription, LogItem, ReadOptions } from './EventLog.js';

/** Options of the JetStream event log. */
export interface JetStreamEventLogOptions {
  readonly namespace?: string | undefined;
  /** Attempts for transient failures (leader election, timeouts), with the same Nats-Msg-Id. Default 6. */
  readonly maxAttempts?: number;
  /**
   * Where `StateChanged` values by reference are fetched from on reads and subscriptions (default:
   * the namespace's LARGE_VALUES Object Store, opened on first use); `false` yields them unresolved.
   */
  readonly largeValues?: LargeValueStore | false;
}

/**
 * `EventLog` over one JetStream stream. Appends use the event id as `Nats-Msg-Id` (deduplicated
 * inside the stream's duplicate window) and retry transient failures with a bound.
 */
export class JetStreamEventLog implements EventLog {
  readonly #nats: NatsHandle;
  readonly #spec: StreamSpec;
  readonly #ns: string | undefined;
  readonly #maxAttempts: number;
  readonly #largeValues: LargeValueStore | false | undefined;
  #epoch: number | undefined;

  constructor(nats: NatsHandle, spec: StreamSpec, options: JetStreamEventLogOptions = {}) {
    this.#nats = nats;
    this.#spec = spec;
    this.#ns = options.namespace;
    this.#maxAttempts = options.maxAttempts ?? 6;
    this.#largeValues = options.largeValues;
  }

  /** Whether an item is a `StateChanged` whose value travels by reference (and this log resolves those). */
  #hasRef(item: LogItem): boolean {
    if (this.#largeValues === false || item.kind !== 'event' || item.record.event.type !== 'StateChanged') return false;
    const d = item.record.event.data as { ref?: unknown } | null;
    return !!d && typeof d === 'object' && d.ref !== undefined;
  }

  /** The item with its `StateChanged` value by reference put in place (fetched from the Object Store). */
  #resolved(item: LogItem): Promise<LogItem> {
    return resolveLogItem(this.#largeValues || JetStreamLargeValues.of(this.#nats, { namespace: this.#ns }), item);
  }

  /** The stream name. */
  get stream(): string {
    return this.#spec.name;
  }

  /** Maps a logical subject to the stored one (namespace prefix). */
  subjectOf(logical: string): string {
    return namespacedSubject(this.#ns, logical);
  }

  async epoch(): Promise<number> {
    if (this.#epoch === undefined) {
      const info = await this.#nats.jsm.streams.info(this.#spec.name).catch((e: unknown) => { throw this.#streamError(e); });
      this.#epoch = Date.parse(info.created);
    }
    return this.#epoch;
  }

  async append(event: EventEnvelope, options: AppendOptions = {}): Promise<AppendResult> {
    const subject = this.subjectOf(assertSubject(event.subject));
    if (!this.#spec.subjects.some((pattern) => subjectMatches(pattern, subject))) {
      // Published anyway, it would land in another stream (with a position that is not ours) or nowhere.
      throw msError('INVALID_SUBJECT', `subject ${event.subject} does not belong to stream ${this.#spec.name} (${this.#spec.subjects.join(', ')})`, { details: { subject: event.subject, stream: this.#spec.name } });
    }
    // The server's max_payload (1 MiB by default) can be below the stream's max_msg_size (5 MiB
    // for TASK_EXECUTION), and the headers count against it: check both before publishing.
    const maxPayload = this.#nats.nc.info?.max_payload;
    const limit = maxPayload === undefined ? this.#spec.maxMsgSize : Math.min(this.#spec.maxMsgSize, maxPayload - HEADER_ALLOWANCE);
    const payload = encodeEvent(event, limit);
    const epoch = await this.epoch();
    const deadline = Date.now() + RETRY_BUDGET_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        const h = natsHeaders();
        h.set('Ms-Event-Type', event.type);
        if (event.traceparent) h.set('traceparent', event.traceparent);
        const ack = await this.#nats.js.publish(subject, payload, {
          msgID: options.msgId ?? event.id,
          headers: h,
          timeout: options.timeoutMs ?? 5000,
          ...(options.expectedLastSubjectSeq !== undefined ? { expect: { lastSubjectSequence: options.expectedLastSubjectSeq } } : {}),
        });
        return { epoch, seq: ack.seq, duplicate: ack.duplicate };
      } catch (e) {
        if (jsApiCode(e) === JsCodes.wrongLastSequence) {
          throw msError('SEQUENCE_CONFLICT', `append to ${event.subject} expected last sequence ${options.expectedLastSubjectSeq}, but the subject has moved on`, { cause: e, details: { subject: event.subject, expected: options.expectedLastSubjectSeq } });
        }
        if (jsApiCode(e) === JsCodes.maxPayload) {
          throw msError('PAYLOAD_TOO_LARGE', `event on ${event.subject} exceeds the server's maximum payload`, { cause: e });
        }
        const pause = backoffMs(attempt + 1, { baseMs: 100, maxMs: 3000 });
        if (!isTransientNatsError(e) || attempt >= this.#maxAttempts || Date.now() + pause > deadline) {
          if (isTransientNatsError(e)) await this.#assertStreamExists();
          throw classifyNatsError(e, `append to ${event.subject}`);
        }
        // A subject no stream captures fails the same way forever; a missing stream is not transient.
        if (attempt === 2) await this.#assertStreamExists();
        await sleep(pause);
      }
    }
  }

  async appendBatch(events: readonly EventEnvelope[], options: { timeoutMs?: number } = {}): Promise<AppendResult[]> {
    // Publishes on one connection are ordered; starting them all before awaiting pipelines the acks.
    return Promise.all(events.map((e) => this.append(e, options)));
  }

  async bounds(): Promise<{ firstSeq: number; lastSeq: number; messages: number }> {
    const info = await this.#nats.jsm.streams.info(this.#spec.name).catch((e: unknown) => { throw this.#streamError(e); });
    return { firstSeq: info.state.first_seq, lastSeq: info.state.last_seq, messages: info.state.messages };
  }

  /** The last sequence stored under `filter` (wildcards allowed), 0 when none. */
  async headOf(filter: string): Promise<number> {
    try {
      const m = await this.#nats.jsm.streams.getMessage(this.#spec.name, { last_by_subj: this.subjectOf(filter) });
      return m?.seq ?? 0;
    } catch (e) {
      if (jsApiCode(e) === JsCodes.messageNotFound) return 0;
      throw this.#streamError(e);
    }
  }

  read(options: ReadOptions): AsyncIterable<LogItem> {
    const sub = this.#open(options, false);
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for await (const item of sub) yield item;
        } finally {
          await sub.stop();
        }
      },
    };
  }

  subscribe(options: ReadOptions): EventSubscription {
    return this.#open(options, true);
  }

  #open(options: ReadOptions, live: boolean): EventSubscription {
    // No filter: the whole stream (a reader of several subject families filters in the client).
    const filter = options.filter === undefined ? undefined : assertSubject(options.filter, { wildcards: true });
    const headOf = async (): Promise<number> => (filter === undefined ? (await this.bounds()).lastSeq : this.headOf(filter));
    const from = options.from ?? 'start';
    const queue = new AsyncQueue<LogItem>();
    let stopped = false;
    let stopConsumer: (() => Promise<void>) | undefined;
    const stop = async () => {
      stopped = true;
      queue.end();
      await stopConsumer?.();
    };
    const run = async () => {
      const head = options.toSeq ?? (await retryTransient(headOf));
      const startSeq = typeof from === 'object' && 'seq' in from ? from.seq : undefined;
      const opts = {
        ...(filter === undefined ? {} : { filter_subjects: this.subjectOf(filter) }),
        ...(from === 'start' ? { deliver_policy: DeliverPolicy.All } : {}),
        ...(from === 'new' ? { deliver_policy: DeliverPolicy.New } : {}),
        ...(startSeq !== undefined ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, startSeq) } : {}),
        ...(typeof from === 'object' && 'time' in from ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.time.toISOString() } : {}),
      };
      let caughtUp = false;
      const markCaughtUp = (seq: number) => {
        if (caughtUp) return;
        caughtUp = true;
        if (live) queue.push({ kind: 'caught-up', seq });
        else void stop();
      };
      if (from === 'new' || head === 0 || (startSeq !== undefined && startSeq > head)) markCaughtUp(head);
      if (stopped) return;
      const messages = await retryTransient(async () => (await this.#nats.js.consumers.get(this.#spec.name, opts)).consume({ max_messages: 256 }));
      stopConsumer = async () => { await messages.close(); };
      if (stopped) { await messages.close(); return; }
      let count = 0;
      for await (const m of messages) {
        if (stopped) break;
        if (options.toSeq !== undefined && m.seq > options.toSeq) { markCaughtUp(options.toSeq); if (!live) break; }
        const item = toItem(m);
        queue.push(this.#hasRef(item) ? await this.#resolved(item) : item);
        count++;
        if (!caughtUp && m.seq >= head) markCaughtUp(m.seq);
        else if (!caughtUp && m.info.pending === 0 && (await headOf().catch(() => head)) <= m.seq) markCaughtUp(m.seq); // the head we aimed for was removed
        if (options.limit !== undefined && count >= options.limit) { await stop(); break; }
      }
    };
    run().catch((e: unknown) => { if (!stopped) queue.fail(classifyNatsError(e, `reading ${filter ?? this.#spec.name}`)); });
    return Object.assign(queue, { stop, [Symbol.asyncDispose]: stop }) as unknown as EventSubscription;
  }

  /** NOT_FOUND when the stream is gone; a stream info that itself times out (leader election) proves nothing. */
  async #assertStreamExists(): Promise<void> {
    try {
      await this.#nats.jsm.streams.info(this.#spec.name);
    } catch (e) {
      if (jsApiCode(e) === JsCodes.streamNotFound) throw this.#streamError(e);
    }
  }

  #streamError(e: unknown): MisterSmithError {
    if (jsApiCode(e) === JsCodes.streamNotFound) {
      return msError('NOT_FOUND', `stream ${this.#spec.name} does not exist: run "mister-smith migrate" to provision NATS`, { cause: e, details: { stream: this.#spec.name } });
    }
    return classifyNatsError(e, `stream ${this.#spec.name}`);
  }
}

/** Room left for the headers (Nats-Msg-Id, Ms-Event-Type, traceparent, expectations) under max_payload. */
const HEADER_ALLOWANCE = 1024;

function toItem(m: JsMsg): LogItem {
  try {
    const event = decodeEvent(m.data);
    return { kind: 'event', record: { event, seq: m.seq, streamSubject: m.subject, storedAt: m.time } };
  } catch (e) {
    const error = MisterSmithError.is(e) ? e : msError('MALFORMED_EVENT', 'undecodable event', { cause: e });
    return { kind: 'malformed', seq: m.seq, streamSubject: m.subject, error, data: m.data };
  }
}

