import type { DatabaseHandle } from '@mister-smith/core';

/** What the row watcher saw: every regression of a row's version or value between two samples. */
export interface RowWatch {
  readonly samples: number;
  /** Samples skipped because PostgreSQL did not answer (an outage under way). */
  readonly failedSamples: number;
  readonly regressions: readonly string[];
  stop(): Promise<void>;
}

/**
 * Samples `agents.state` every `intervalMs` and records any row whose (epoch, version) or numeric
 * value went backwards since the previous sample: rows must never regress, whatever crashes.
 * Bounded by `maxSamples`.
 */
export function watchRows(pg: DatabaseHandle, options: { intervalMs?: number; maxSamples?: number; agentPrefix?: string } = {}): RowWatch {
  const seen = new Map<string, { epoch: number; version: number; value: unknown }>();
  const regressions: string[] = [];
  let samples = 0;
  let failedSamples = 0;
  let stopped = false;
  const run = (async () => {
    for (let i = 0; i < (options.maxSamples ?? 600) && !stopped; i++) {
      try {
        let q = pg.db.selectFrom('agents.state').select(['agent_id', 'state_key', 'version_epoch', 'version', 'state_value']);
        if (options.agentPrefix) q = q.where('agent_id', 'like', `${options.agentPrefix}%`);
        const rows = await q.execute();
        samples++;
        for (const r of rows) {
          const k = `${r.agent_id}.${r.state_key}`;
          const prev = seen.get(k);
          if (prev) {
            const older = r.version_epoch < prev.epoch || (r.version_epoch === prev.epoch && r.version < prev.version);
            const smaller = typeof r.state_value === 'number' && typeof prev.value === 'number' && r.state_value < prev.value;
            if (older || smaller) regressions.push(`${k}: (${prev.epoch},${prev.version})=${JSON.stringify(prev.value)} -> (${r.version_epoch},${r.version})=${JSON.stringify(r.state_value)}`);
          }
          seen.set(k, { epoch: r.version_epoch, version: r.version, value: r.state_value });
        }
      } catch {
        failedSamples++;
      }
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
    }
  })();
  return {
    get samples() { return samples; },
    get failedSamples() { return failedSamples; },
    regressions,
    async stop() { stopped = true; await run; },
  };
}
