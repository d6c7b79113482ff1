import { Counter, Gauge, type Metric, type Registry } from 'prom-client';

/** The bridge's Prometheus metrics. */
export interface BridgeMetrics {
  /** `mister_smith_bridge_outbox_depth`: unpublished outbox rows. */
  readonly depth: Gauge;
  /** `mister_smith_bridge_oldest_unpublished_age_seconds`: age of the oldest unpublished row. */
  readonly oldestAge: Gauge;
  /** `mister_smith_bridge_published_total{stream}`: rows published and marked (its rate is the publish rate). */
  readonly published: Counter<'stream'>;
  /** `mister_smith_bridge_deduplicated_total`: publishes the stream reported as duplicates. */
  readonly deduplicated: Counter;
  /** `mister_smith_bridge_by_reference_total`: rows published as reference events. */
  readonly byReference: Counter;
  /** `mister_smith_bridge_dead_lettered_total`: rows moved to dead letters. */
  readonly deadLettered: Counter;
  /** `mister_smith_bridge_active`: 1 while this process holds the bridge lock. */
  readonly active: Gauge;
}

/**
 * Registers the bridge's metrics on `registry`, reusing any already registered under the same
 * name (two bridges in one process share them).
 */
export function createBridgeMetrics(registry: Registry): BridgeMetrics {
  const reuse = <M extends Metric>(name: string, make: () => M): M => (registry.getSingleMetric(name) as M | undefined) ?? make();
  const registers = [registry];
  return {
    depth: reuse('mister_smith_bridge_outbox_depth', () => new Gauge({ name: 'mister_smith_bridge_outbox_depth', help: 'Unpublished rows in mister_smith.outbox', registers })),
    oldestAge: reuse('mister_smith_bridge_oldest_unpublished_age_seconds', () => new Gauge({ name: 'mister_smith_bridge_oldest_unpublished_age_seconds', help: 'Age of the oldest unpublished outbox row', registers })),
    published: reuse('mister_smith_bridge_published_total', () => new Counter({ name: 'mister_smith_bridge_published_total', help: 'Outbox rows published to NATS', labelNames: ['stream'] as const, registers })),
    deduplicated: reuse('mister_smith_bridge_deduplicated_total', () => new Counter({ name: 'mister_smith_bridge_deduplicated_total', help: 'Publishes the stream deduplicated by Nats-Msg-Id', registers })),
    byReference: reuse('mister_smith_bridge_by_reference_total', () => new Counter({ name: 'mister_smith_bridge_by_reference_total', help: 'Outbox rows too large for one message, published by reference', registers })),
    deadLettered: reuse('mister_smith_bridge_dead_lettered_total', () => new Counter({ name: 'mister_smith_bridge_dead_lettered_total', help: 'Outbox rows that could not be published, moved to mister_smith.dead_letters', registers })),
    active: reuse('mister_smith_bridge_active', () => new Gauge({ name: 'mister_smith_bridge_active', help: '1 while this bridge holds the lock and publishes', registers })),
  };
}
