import { assertAgentId, assertSubject } from '../config/identifiers.js';
import { msError } from '../errors/MisterSmithError.js';
import type { EventLog, LogItem, StartAt } from '../eventlog/EventLog.js';
import { AsyncQueue } from '../util/AsyncQueue.js';

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** Only this agent's events (state and lifecycle families). */
  readonly agentId?: string;
  /** Logical subjects or filters (wildcards allowed). Default: every family of the stream. */
  readonly subjects?: readonly string[];
  readonly from?: StartAt;
  /** Stop after this many events. */
  readonly limit?: number;
}

/** A running merged subscription: events of every family in stream order, then one `caught-up`. */
export interface Subscription extends AsyncIterable<LogItem>, AsyncDisposable {
  stop(): Promise<void>;
}

const FAMILIES = ['agents.state', 'agents.lifecycle', 'agents.heartbeat'] as const;

/**
 * Subscribes to state events, catch-up then live. nats-server 2.9 allows one filter per consumer,
 * so each subject family gets its own consumer; their catch-up parts are merged by stream sequence
 * and a single `caught-up` item is yielded once every family has caught up. After that, items are
 * yielded as they arrive.
 *
 * @example
 * const sub = subscribe(stack.logs.agentState, { agentId: 'a1', from: 'start' });
 * for await (const item of sub) {
 *   if (item.kind === 'caught-up') console.log('-- live --');
 *   else if (item.kind === 'event') console.log(item.record.seq, item.record.event.type);
 * }
 */
export function subscribe(log: EventLog, options: SubscribeOptions = {}): Subscription {
  const filters = filtersOf(options);
  const out = new AsyncQueue<LogItem>();
  const subs = filters.map((filter) => log.subscribe({ filter, ...(options.from ? { from: options.from } : {}) }));
  const pending: LogItem[] = [];
  let caughtUp = 0;
  let highest = 0;
  let live = false;
  let yielded = 0;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    out.end();
    await Promise.all(subs.map((s) => s.stop()));
  };
  const emit = (item: LogItem) => {
    if (stopped) return;
    out.push(item);
    if (item.kind !== 'caught-up' && options.limit !== undefined && ++yielded >= options.limit) void stop();
  };
  subs.forEach((sub) => {
    void (async () => {
      for await (const item of sub) {
        if (item.kind === 'caught-up') {
          highest = Math.max(highest, item.seq);
          if (++caughtUp === subs.length) {
            pending.sort((a, b) => seqOf(a) - seqOf(b)).forEach(emit);
            pending.length = 0;
            live = true;
            emit({ kind: 'caught-up', seq: Math.max(highest, item.seq, 0) });
          }
          continue;
        }
        if (live) emit(item); else pending.push(item);
      }
    })().catch((e: unknown) => { if (!stopped) out.fail(e); });
  });
  return Object.assign(out, { stop, [Symbol.asyncDispose]: stop }) as unknown as Subscription;
}

function seqOf(i: LogItem): number {
  return i.kind === 'event' ? i.record.seq : i.seq;
}

function filtersOf(o: SubscribeOptions): string[] {
  if (o.subjects && o.subjects.length > 0) {
    if (o.agentId !== undefined) throw msError('INVALID_ARGUMENT', 'give either agentId or subjects, not both');
    return o.subjects.map((s) => assertSubject(s, { wildcards: true }));
  }
  if (o.agentId !== undefined) {
    const id = assertAgentId(o.agentId);
    return [`agents.state.${id}`, `agents.lifecycle.${id}`];
  }
  return FAMILIES.map((f) => `${f}.>`);
}
