import type { Logger } from '@mister-smith/core';
import type { Output } from '../cli/Output.js';
import { formatStatus, type StatusSampler } from './sampleStatus.js';

/** A running status loop. */
export interface StatusLoop {
  stop(): Promise<void>;
}

/**
 * Samples the status and shows it: redrawn in place every second on a terminal, one plain (or
 * JSON) line every `intervalSeconds` otherwise. A failed sample is logged and skipped.
 */
export function startStatusLoop(sampler: StatusSampler, output: Output, logger: Logger, intervalSeconds: number): StatusLoop {
  const everyMs = output.interactive ? 1000 : Math.max(100, intervalSeconds * 1000);
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;
  const run = async () => {
    const s = await sampler.sample();
    if (stopped) return;
    if (output.interactive) output.live(formatStatus(s));
    else output.record(s, `status: ${formatStatus(s)}`);
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = run()
        .catch((e: unknown) => logger.warn({ err: e }, 'status sample failed'))
        .finally(() => { inFlight = undefined; schedule(); });
    }, everyMs);
  };
  // Prime the events rate so the first line shown has a real figure.
  inFlight = sampler.sample().then(() => undefined, (e: unknown) => logger.warn({ err: e }, 'status sample failed')).finally(() => { inFlight = undefined; schedule(); });
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      clearTimeout(timer);
      output.clearLive();
    },
  };
}
