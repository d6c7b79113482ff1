import type { NatsHandle } from '@mister-smith/core';
import { openStreamReader, type StreamReader, type StreamReaderOptions } from '../read/openStreamReader.js';

/**
 * A reader opener (`RunnerDeps.openReader`) whose first `silent` readers go silent (the very first
 * after its first batch), as an ordered consumer does when its server dies and nats.js neither
 * notices missed heartbeats nor recreates it: open, delivering nothing, reporting no error. Later
 * readers are the real ones. For stall tests against the real NATS.
 */
export function readersGoSilent(silent: number): { open: (nats: NatsHandle, options: StreamReaderOptions) => Promise<StreamReader>; opened: () => number } {
  let opened = 0;
  const open = async (nats: NatsHandle, options: StreamReaderOptions): Promise<StreamReader> => {
    const real = await openStreamReader(nats, options);
    if (++opened > silent) return real;
    let batches = opened === 1 ? 0 : 1;
    let stopped = false;
    const stop = async () => { stopped = true; await real.stop(); };
    return {
      async next(max, idleMs) {
        if (batches++ === 0) return real.next(max, idleMs);
        await new Promise((r) => setTimeout(r, idleMs ?? 1000));
        return stopped ? undefined : [];
      },
      get delivered() { return real.delivered; },
      get generation() { return real.generation; },
      get buffered() { return 0; },
      get pending() { return 0; },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  };
  return { open, opened: () => opened };
}
