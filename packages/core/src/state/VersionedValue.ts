import type { StreamPosition } from '../events/EventEnvelope.js';
import type { StrategyName } from './stateEvents.js';
import type { LargeValueRef } from './largeValues.js';

/**
 * One key's value with the version of the event that produced it: what KV entries, PostgreSQL
 * rows, stream recovery and the store's views all hold. `value` is what users read; `stored` is the
 * strategy's form of it (HLC stamp, vector clock, Automerge document), null when unknown (an SQL
 * edit) or for a delete. Deletes are versioned tombstones, so a late, older write can never
 * resurrect a deleted key.
 */
export interface VersionedValue extends StreamPosition {
  readonly strategy: StrategyName;
  readonly value: unknown;
  readonly stored: unknown;
  readonly tombstone?: boolean;
  /**
   * Set when the value is over the inline limit: KV entries and events carry only this reference
   * to the LARGE_VALUES Object Store. An entry decoded from KV has no `value`/`stored` until
   * resolved (`resolveEntry`); in memory and in PostgreSQL the value is always in place.
   */
  readonly ref?: LargeValueRef;
}
