import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Metrics of the state plane, registered once per registry. */
export interface StateMetrics {
  readonly conflicts: Counter<'strategy' | 'outcome'>;
  readonly writes: Counter<'strategy'>;
  readonly flushes: Counter<'result'>;
  readonly flushRows: Counter;
  readonly flushSeconds: Histogram;
  readonly dirtyKeys: Gauge;
  readonly reads: Counter<'source'>;
  /** Seconds per phase of loading an agent (activation hydration, `readAll`): pg, stream, apply, flush, kv. */
  readonly hydrationPhase: Histogram<'phase'>;
}

const cache = new WeakMap<Registry, StateMetrics>();

/** The state-plane metrics on `registry` (created on first use, shared afterwards). */
export function stateMetrics(registry: Registry): StateMetrics {
  let m = cache.get(registry);
  if (!m) {
    m = {
      conflicts: new Counter({ name: 'mister_smith_conflicts_resolved_total', help: 'Conflicts resolved by a strategy', labelNames: ['strategy', 'outcome'] as const, registers: [registry] }),
      writes: new Counter({ name: 'mister_smith_state_writes_total', help: 'Acknowledged state writes', labelNames: ['strategy'] as const, registers: [registry] }),
      flushes: new Counter({ name: 'mister_smith_flushes_total', help: 'Flush transactions to PostgreSQL', labelNames: ['result'] as const, registers: [registry] }),
      flushRows: new Counter({ name: 'mister_smith_flush_rows_total', help: 'Rows written by flushes', registers: [registry] }),
      flushSeconds: new Histogram({ name: 'mister_smith_flush_seconds', help: 'Flush latency', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] }),
      dirtyKeys: new Gauge({ name: 'mister_smith_dirty_keys', help: 'Keys written but not yet in PostgreSQL', registers: [registry] }),
      reads: new Counter({ name: 'mister_smith_state_reads_total', help: 'State reads by source', labelNames: ['source'] as const, registers: [registry] }),
      hydrationPhase: new Histogram({
        name: 'mister_smith_hydration_phase_seconds', help: 'Seconds per phase of hydrating an agent: pg (its rows, batched), stream (head and tail), apply (folding the tail), flush (repaired rows), kv (filling KV)',
        labelNames: ['phase'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry],
      }),
    };
    cache.set(registry, m);
  }
  return m;
}

/** A fresh registry (each service exposes its own on /metrics). */
export function createRegistry(): Registry {
  return new Registry();
}
