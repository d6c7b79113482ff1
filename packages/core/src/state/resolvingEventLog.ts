import type { EventLog, EventSubscription, LogItem, ReadOptions } from '../eventlog/EventLog.js';
import { AsyncQueue } from '../util/AsyncQueue.js';
import { resolveEventValue, type LargeValueStore } from './largeValues.js';

/** A log item with a `StateChanged` value by reference put in place. */
export async function resolveLogItem(values: LargeValueStore | undefined, item: LogItem): Promise<LogItem> {
  if (item.kind !== 'event' || item.record.event.type !== 'StateChanged') return item;
  const event = await resolveEventValue(values, item.record.event);
  return event === item.record.event ? item : { kind: 'event', record: { ...item.record, event } };
}

/**
 * An {@link EventLog} whose reads and subscriptions yield `StateChanged` events with their values
 * by reference in place (fetched from `values`, in stream order). Appends pass through. The state
 * store wraps an injected log with it; `JetStreamEventLog` resolves on its own.
 */
export function resolvingEventLog(log: EventLog, values: LargeValueStore): EventLog {
  return {
    get stream() { return log.stream; },
    subjectOf: (s) => log.subjectOf(s),
    epoch: () => log.epoch(),
    append: (e, o) => log.append(e, o),
    appendBatch: (e, o) => log.appendBatch(e, o),
    headOf: (s) => log.headOf(s),
    bounds: () => log.bounds(),
    read(options: ReadOptions): AsyncIterable<LogItem> {
      return {
        async *[Symbol.asyncIterator]() {
          for await (const item of log.read(options)) yield await resolveLogItem(values, item);
        },
      };
    },
    subscribe(options: ReadOptions): EventSubscription {
      const inner = log.subscribe(options);
      const queue = new AsyncQueue<LogItem>();
      void (async () => {
        try {
          for await (const item of inner) queue.push(await resolveLogItem(values, item));
          queue.end();
        } catch (e) {
          queue.fail(e);
        }
      })();
      const stop = async () => { queue.end(); await inner.stop(); };
      return Object.assign(queue, { stop, [Symbol.asyncDispose]: stop }) as unknown as EventSubscription;
    },
  };
}
