import { AsyncQueue, classifyNatsError, decodeEvent, MisterSmithError, msError, namespacedSubject, type LogItem, type NatsHandle, type Topology } from '@mister-smith/core';
import { deliverPolicy, type ConsumerMessages, type JsMsg, type OrderedConsumerOptions } from '../util/natsTypes.js';

/** A live view of a stream: iterate it, stop it when done. */
export interface EventMonitor extends AsyncIterable<LogItem>, AsyncDisposable {
  stop(): Promise<void>;
}

/** Options of `monitorAgentState`. */
export interface MonitorOptions {
  /** One logical subject family, e.g. `agents.lifecycle.>` (default: the whole stream). */
  readonly filter?: string;
}

/**
 * The ephemeral monitor of seed 6.3: an ordered consumer on AGENT_STATE that starts with the last
 * message (`deliver_policy: last`), then follows new ones, without acks. Yields core `LogItem`s
 * (`event` or `malformed`).
 *
 * @example
 * await using monitor = await monitorAgentState(nats, topology);
 * for await (const item of monitor) if (item.kind === 'event') console.log(item.record.event.type);
 */
export async function monitorAgentState(nats: NatsHandle, topology: Topology, options: MonitorOptions = {}): Promise<EventMonitor> {
  const spec = topology.consumers.monitoring;
  const opts: Partial<OrderedConsumerOptions> = {
    deliver_policy: deliverPolicy(spec.deliverPolicy === 'last' ? 'last' : 'new'),
    ...(options.filter !== undefined ? { filter_subjects: namespacedSubject(topology.namespace, options.filter) } : {}),
  };
  let messages: ConsumerMessages;
  try {
    messages = await (await nats.js.consumers.get(spec.stream, opts)).consume({ max_messages: 256 });
  } catch (e) {
    throw classifyNatsError(e, `monitoring ${spec.stream}`);
  }
  const queue = new AsyncQueue<LogItem>();
  let stopped = false;
  const pump = (async () => {
    for await (const m of messages) queue.push(toLogItem(m));
    queue.end();
  })().catch((e: unknown) => { if (!stopped) queue.fail(classifyNatsError(e, `monitoring ${spec.stream}`)); });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    stopped = true;
    queue.end();
    await messages.close();
    await pump;
  })());
  return { [Symbol.asyncIterator]: () => queue, stop, [Symbol.asyncDispose]: stop };
}

function toLogItem(m: JsMsg): LogItem {
  try {
    return { kind: 'event', record: { event: decodeEvent(m.data), seq: m.seq, streamSubject: m.subject, storedAt: m.time } };
  } catch (e) {
    const error = MisterSmithError.is(e) ? e : msError('MALFORMED_EVENT', 'undecodable event', { cause: e });
    return { kind: 'malformed', seq: m.seq, streamSubject: m.subject, error, data: m.data };
  }
}
