import type { NatsHandle } from '@mister-smith/core';

// nats.js types derived from core's handle, so this package needs no direct NATS dependency and
// none of these types leaks into its public API.

/** A pull consumer as nats.js returns it. */
export type NatsConsumer = Awaited<ReturnType<NatsHandle['js']['consumers']['get']>>;
/** The running message iterator of `consume` / `fetch`. */
export type ConsumerMessages = Awaited<ReturnType<NatsConsumer['consume']>>;
/** One JetStream message. */
export type JsMsg = ConsumerMessages extends AsyncIterable<infer M> ? M : never;
/** Options of an ordered consumer. */
export type OrderedConsumerOptions = Exclude<Parameters<NatsHandle['js']['consumers']['get']>[1], string | undefined>;
/** A consumer config as `jsm.consumers.add` takes it. */
export type ConsumerConfigInput = Parameters<NatsHandle['jsm']['consumers']['add']>[1];
/** Options of `fetch`. */
export type FetchOptions = NonNullable<Parameters<NatsConsumer['fetch']>[0]>;

/** The server's deliver policies, as the wire protocol spells them. */
export function deliverPolicy(p: 'all' | 'last' | 'new' | 'by_start_sequence' | 'last_per_subject'): OrderedConsumerOptions['deliver_policy'] {
  return p as unknown as OrderedConsumerOptions['deliver_policy'];
}
