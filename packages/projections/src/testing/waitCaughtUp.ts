import type { ProjectionHost } from '../host/createProjectionHost.js';
import { waitFor } from './waitFor.js';

/** Waits until the named projections of `host` run with no lag. */
export async function waitCaughtUp(host: ProjectionHost, names: readonly string[] = host.names, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => {
    for (const n of names) {
      const s = await host.statusOf(n);
      if (s.lag !== 0 || !s.active) return false;
    }
    return true;
  }, { timeoutMs, what: `${names.join(', ')} caught up` });
}
