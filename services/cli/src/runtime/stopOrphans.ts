import { msError } from '@mister-smith/core';
import { sleep } from '@mister-smith/core/util';
import type { FoundServer } from '../connection/inspectStack.js';
import { isAlive } from '../connection/stackFile.js';

/** Signals to a server in turn, with how long to wait for it after each. */
const ESCALATION: Readonly<Record<FoundServer['kind'], readonly (readonly [NodeJS.Signals, number])[]>> = {
  // nats-server: SIGTERM is its clean shutdown (JetStream state is flushed).
  nats: [['SIGTERM', 10_000], ['SIGKILL', 5_000]],
  // PostgreSQL: SIGINT is the "fast" shutdown (sessions end, checkpoint, exit); SIGQUIT the immediate one.
  postgres: [['SIGINT', 20_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]],
};

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (isAlive(pid)) {
    if (Date.now() >= until) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Stops embedded servers that a dead `mister-smith up` left running (they run detached, in their
 * own process group, so they outlive a SIGKILL of their parent): each gets its clean shutdown
 * signal first, then harsher ones. Resolves once every one has exited, so the next start never runs
 * a second server on the same data; LOCKED when one cannot be stopped (another user's process).
 */
export async function stopOrphans(servers: readonly FoundServer[]): Promise<void> {
  await Promise.all(servers.map(async (s) => {
    for (const [signal, waitMs] of ESCALATION[s.kind]) {
      try {
        process.kill(s.pid, signal);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ESRCH') return;
        throw msError('LOCKED', `cannot stop the ${s.kind === 'nats' ? 'nats-server' : 'PostgreSQL'} (pid ${s.pid}) left running on ${s.dataDir}: ${code ?? String(e)}; stop it yourself, or set MISTER_SMITH_DATA_DIR to another folder`, { cause: e });
      }
      if (await gone(s.pid, waitMs)) return;
    }
    throw msError('LOCKED', `the ${s.kind === 'nats' ? 'nats-server' : 'PostgreSQL'} (pid ${s.pid}) left running on ${s.dataDir} does not stop: kill it, or set MISTER_SMITH_DATA_DIR to another folder`);
  }));
}
