import { classifyNatsError, consumerConfigOf, JsCodes, jsApiCode, msError, type ConsumerSpec, type NatsHandle } from '@mister-smith/core';
import type { ConsumerConfigInput } from '../util/natsTypes.js';

/**
 * Creates the durable consumer of `spec` when missing, or updates it when its settings (ack wait,
 * max deliver, ...) differ, so an override given in code takes effect. Returns its name.
 */
export async function ensureDurable(nats: NatsHandle, spec: ConsumerSpec): Promise<string> {
  const name = spec.name;
  if (!name) throw msError('INVALID_ARGUMENT', `a durable consumer on ${spec.stream} needs a name`);
  const config = consumerConfigOf(spec) as ConsumerConfigInput;
  try {
    const info = await nats.jsm.consumers.info(spec.stream, name).catch((e: unknown) => {
      if (jsApiCode(e) === JsCodes.consumerNotFound) return undefined;
      throw e;
    });
    if (!info) {
      await nats.jsm.consumers.add(spec.stream, config);
      return name;
    }
    const c = info.config as unknown as Record<string, unknown>;
    const want = config as unknown as Record<string, unknown>;
    const changed = ['ack_wait', 'max_deliver', 'max_ack_pending', 'filter_subject', 'max_batch', 'max_expires', 'max_bytes'].some((k) => want[k] !== undefined && want[k] !== c[k]);
    if (changed) {
      const { durable_name: _d, name: _n, deliver_policy: _p, opt_start_seq: _s, ...update } = config as unknown as Record<string, unknown>;
      void _d; void _n; void _p; void _s;
      await nats.jsm.consumers.update(spec.stream, name, update as never);
    }
    return name;
  } catch (e) {
    throw classifyNatsError(e, `ensuring consumer ${spec.stream}/${name}`);
  }
}
