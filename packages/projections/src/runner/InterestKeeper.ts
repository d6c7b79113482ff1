import { classifyNatsError, type ConsumerSpec, type NatsHandle } from '@mister-smith/core';
import { ensureDurable } from '../consumers/ensureDurable.js';
import type { ProjectionLogger } from './ProjectionLogger.js';
import type { ConsumerMessages, JsMsg } from '../util/natsTypes.js';

/** The durable consumer a runner creates to hold a projection's interest when the projection names none. */
export function keeperConsumerSpec(stream: string, projection: string): ConsumerSpec {
  return {
    stream, name: `ms-projection-${projection.replace(/[^A-Za-z0-9_-]/g, '-')}`,
    description: `Holds the interest of projection ${projection} until its checkpoint passes each message`,
    deliverPolicy: 'all', ackPolicy: 'explicit', ackWaitSeconds: 30, maxDeliver: -1, maxAckPending: 20_000, replayPolicy: 'instant',
  };
}

/**
 * Keeps a projection's interest in a stream with interest retention (TASK_EXECUTION), where a
 * message nobody is interested in is deleted on arrival. A durable consumer over the whole stream
 * holds every message until the projection's checkpoint has passed it; then it is acknowledged.
 * The projection itself reads with an ordered consumer from its checkpoint (in order, at once
 * after a takeover): the durable only carries interest and acknowledgements.
 */
export class InterestKeeper {
  readonly #nats: NatsHandle;
  readonly #spec: ConsumerSpec;
  readonly #stream: string;
  readonly #name: string;
  readonly #logger: ProjectionLogger;
  readonly #held = new Map<number, JsMsg>();
  #checkpoint = 0;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;

  constructor(nats: NatsHandle, spec: ConsumerSpec, logger: ProjectionLogger) {
    this.#nats = nats;
    this.#spec = spec;
    this.#stream = spec.stream;
    this.#name = spec.name ?? '';
    this.#logger = logger;
  }

  /** The durable consumer's name. */
  get consumerName(): string {
    return this.#name;
  }

  /** Creates the durable consumer when it is missing (call before anything is published). */
  async ensure(): Promise<void> {
    await ensureDurable(this.#nats, this.#spec);
  }

  /** Starts acknowledging; `checkpoint` is where the projection stands. */
  async start(checkpoint: number): Promise<void> {
    this.#checkpoint = checkpoint;
    if (this.#messages) return;
    try {
      const consumer = await this.#nats.js.consumers.get(this.#stream, this.#name);
      this.#messages = await consumer.consume({ max_messages: 1000 });
    } catch (e) {
      throw classifyNatsError(e, `consuming ${this.#stream}/${this.#name}`);
    }
    const messages = this.#messages;
    this.#loop = (async () => {
      for await (const m of messages) {
        if (m.seq <= this.#checkpoint) m.ack();
        else this.#held.set(m.seq, m);
      }
    })().catch((e: unknown) => {
      this.#logger.warn({ err: e, consumer: this.#name }, 'interest keeper stopped reading; unacknowledged messages are redelivered to the next keeper');
    });
  }

  /** The projection committed up to `seq`: acknowledge everything up to it. */
  advance(seq: number): void {
    if (seq <= this.#checkpoint) return;
    this.#checkpoint = seq;
    for (const [s, m] of this.#held) {
      if (s <= seq) { m.ack(); this.#held.delete(s); }
    }
  }

  /** Stops reading; held messages are redelivered (after ack_wait) to whichever keeper runs next. */
  async stop(): Promise<void> {
    const messages = this.#messages;
    this.#messages = undefined;
    this.#held.clear();
    if (messages) await messages.close();
    await this.#loop;
    this.#loop = undefined;
  }
}
