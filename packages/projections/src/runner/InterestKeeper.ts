import { classifyNatsError, JsCodes, jsApiCode, type NatsHandle } from '@mister-smith/core';
import type { ProjectionLogger } from './ProjectionLogger.js';
import type { ConsumerConfigInput, ConsumerMessages, JsMsg } from '../util/natsTypes.js';

/** The durable consumer name that holds a projection's interest in an interest-retention stream. */
export function keeperConsumerName(projection: string): string {
  return `ms-projection-${projection.replace(/[^A-Za-z0-9_-]/g, '-')}`;
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
  readonly #stream: string;
  readonly #name: string;
  readonly #logger: ProjectionLogger;
  readonly #held = new Map<number, JsMsg>();
  #checkpoint = 0;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;

  constructor(nats: NatsHandle, stream: string, projection: string, logger: ProjectionLogger) {
    this.#nats = nats;
    this.#stream = stream;
    this.#name = keeperConsumerName(projection);
    this.#logger = logger;
  }

  /** The durable consumer's name. */
  get consumerName(): string {
    return this.#name;
  }

  /** Creates the durable consumer when it is missing (call before anything is published). */
  async ensure(): Promise<void> {
    try {
      await this.#nats.jsm.consumers.info(this.#stream, this.#name);
      return;
    } catch (e) {
      if (jsApiCode(e) !== JsCodes.consumerNotFound) throw classifyNatsError(e, `reading consumer ${this.#stream}/${this.#name}`);
    }
    const config = {
      durable_name: this.#name,
      name: this.#name,
      description: 'Holds a projection\'s interest until its checkpoint passes each message',
      deliver_policy: 'all',
      ack_policy: 'explicit',
      ack_wait: 30_000_000_000,
      max_deliver: -1,
      max_ack_pending: 20_000,
    } as unknown as ConsumerConfigInput;
    try {
      await this.#nats.jsm.consumers.add(this.#stream, config);
    } catch (e) {
      throw classifyNatsError(e, `creating consumer ${this.#stream}/${this.#name}`);
    }
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
