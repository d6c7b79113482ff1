import type { NatsHandle } from '@mister-smith/core';

/** A nats.js KV bucket handle, used directly for the raw baselines (no wrapper, no checks). */
export type RawKv = Awaited<ReturnType<NatsHandle['kvm']['open']>>;
