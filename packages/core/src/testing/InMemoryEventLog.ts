import { assertSubject } from '../config/identifiers.js';
import { subjectMatches } from '../config/subjectMatches.js';
import { msError } from '../errors/MisterSmithError.js';
import type { EventEnvelope, RecordedEvent } from '../events/EventEnvelope.js';
import type { AppendOptions, AppendResult, EventLog, EventSubscription, LogItem, ReadOptions } from '../eventlog/EventLog.js';
import { AsyncQueue } from '../util/AsyncQueue.js';

/**
 * An {@link EventLog} in memory with the semantics of a JetStream stream (one sequence across
 * subjects, deduplication by event id or `msgId`, optimistic concurrency per subject): for unit
 * tests of the state store. It passes the same contract suite as `JetStreamEventLog`.
 */
export class InMemoryEventLog implements EventLog {
  readonly stream: string;
  readonly #epoch: number;
  readonly #events: RecordedEvent[] = [];
  readonly #ids = new Map<string, number>();
  readonly #heads = new Map<string, number>();
  readonly #live = new Set<(r: RecordedEvent) => void>();

  constructor(options: { epoch?: number; stream?: string } = {}) {
    this.#epoch = options.epoch ?? Date.now();
    this.stream = options.stream ?? 'MEMORY';
  }

  /** Subjects are stored as they are (no namespace). */
  subjectOf(logical: string): string {
    return logical;
  }

  async epoch(): Promise<number> {
    return this.#epoch;
  }

  async append(event: EventEnvelope, options: AppendOptions = {}): Promise<AppendResult> {
    await Promise.resolve();
    const subject = assertSubject(event.subject);
    const msgId = options.msgId ?? event.id;
    const dup = this.#ids.get(msgId);
    if (dup !== undefined) return { epoch: this.#epoch, seq: dup, duplicate: true };
    const head = this.#heads.get(subject) ?? 0;
    if (options.expectedLastSubjectSeq !== undefined && options.expectedLastSubjectSeq !== head) {
      throw msError('SEQUENCE_CONFLICT', `append to ${subject} expected last sequence ${options.expectedLastSubjectSeq}, but the subject has moved on`, { details: { subject, expected: options.expectedLastSubjectSeq } });
    }
    const record: RecordedEvent = { event: JSON.parse(JSON.stringify(event)) as EventEnvelope, seq: this.#events.length + 1, streamSubject: subject, storedAt: new Date() };
    this.#events.push(record);
    this.#ids.set(msgId, record.seq);
    this.#heads.set(subject, record.seq);
    for (const l of this.#live) l(record);
    return { epoch: this.#epoch, seq: record.seq, duplicate: false };
  }

  appendBatch(events: readonly EventEnvelope[]): Promise<AppendResult[]> {
    return Promise.all(events.map((e) => this.append(e)));
  }

  async headOf(subject: string): Promise<number> {
    return this.#heads.get(subject) ?? 0;
  }

  async bounds(): Promise<{ firstSeq: number; lastSeq: number; messages: number }> {
    const n = this.#events.length;
    return { firstSeq: n > 0 ? 1 : 0, lastSeq: n, messages: n };
  }

  #matching(options: ReadOptions): RecordedEvent[] {
    const filter = assertSubject(options.filter ?? '>', { wildcards: true });
    const from = options.from ?? 'start';
    const fromSeq = from === 'start' ? 1 : from === 'new' ? this.#events.length + 1 : 'seq' in from ? from.seq : 1;
    const since = typeof from === 'object' && 'time' in from ? from.time.getTime() : undefined;
    const out = this.#events.filter((r) => r.seq >= fromSeq && (options.toSeq === undefined || r.seq <= options.toSeq)
      && (since === undefined || r.storedAt.getTime() >= since) && subjectMatches(filter, r.streamSubject));
    return options.limit === undefined ? out : out.slice(0, options.limit);
  }

  read(options: ReadOptions): AsyncIterable<LogItem> {
    const records = this.#matching(options);
    return {
      async *[Symbol.asyncIterator]() {
        for (const record of records) yield { kind: 'event', record };
      },
    };
  }

  subscribe(options: ReadOptions): EventSubscription {
    const queue = new AsyncQueue<LogItem>();
    const stored = this.#matching(options);
    for (const record of stored) queue.push({ kind: 'event', record });
    queue.push({ kind: 'caught-up', seq: stored.at(-1)?.seq ?? this.#events.length });
    const filter = options.filter ?? '>';
    const listener = (record: RecordedEvent) => {
      if (subjectMatches(filter, record.streamSubject) && (options.toSeq === undefined || record.seq <= options.toSeq)) queue.push({ kind: 'event', record });
    };
    this.#live.add(listener);
    const stop = async () => { this.#live.delete(listener); queue.end(); };
    return Object.assign(queue, { stop, [Symbol.asyncDispose]: stop }) as unknown as EventSubscription;
  }
}
