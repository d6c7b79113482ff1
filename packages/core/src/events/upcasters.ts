import { msError } from '../errors/MisterSmithError.js';
import { CURRENT_SCHEMA_VERSION, type EventEnvelope } from './EventEnvelope.js';

/**
 * Turns the data of one event type from `fromVersion` into `fromVersion + 1`. Pure: it gets the
 * old data and the envelope (for its id, time and agent) and returns the new data.
 */
export interface Upcaster<TFrom = unknown, TTo = unknown> {
  readonly type: string;
  readonly fromVersion: number;
  upcast(data: TFrom, event: EventEnvelope<string, TFrom>): TTo;
}

// Process-wide, like a codec table: every read path decodes through `validateEnvelope`, which applies it.
// Kept on globalThis under a registered symbol, so two copies of this package in one process (the
// CLI's and a `--load` module's) share one table.
const REGISTRY = Symbol.for('mister-smith.upcasters');
const registry: Map<string, Map<number, Upcaster>> = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map()) as Map<string, Map<number, Upcaster>>;

/**
 * Registers an upcaster for one event type and schema version. From then on every read path
 * (hydration, `subscribe`, projections, rebuild, history reads) sees events of that type at the
 * latest version, and `createEvent` writes new ones at it. Returns a function that removes it.
 *
 * @example
 * registerUpcaster({ type: 'ReadingTaken', fromVersion: 1, upcast: (d: { f: number }) => ({ c: (d.f - 32) * 5 / 9 }) });
 */
export function registerUpcaster<TFrom, TTo>(upcaster: Upcaster<TFrom, TTo>): () => void {
  const { type, fromVersion } = upcaster;
  if (typeof type !== 'string' || type.length === 0) throw msError('INVALID_ARGUMENT', 'an upcaster needs an event type');
  if (!Number.isInteger(fromVersion) || fromVersion < 1) throw msError('INVALID_ARGUMENT', `fromVersion must be a positive integer, got ${fromVersion}`);
  const byVersion = registry.get(type) ?? new Map<number, Upcaster>();
  if (byVersion.has(fromVersion)) throw msError('INVALID_ARGUMENT', `an upcaster of ${type} from version ${fromVersion} is registered already`, { details: { type, fromVersion } });
  byVersion.set(fromVersion, upcaster as unknown as Upcaster);
  registry.set(type, byVersion);
  return () => {
    if (byVersion.get(fromVersion) === (upcaster as unknown as Upcaster)) byVersion.delete(fromVersion);
    if (byVersion.size === 0 && registry.get(type) === byVersion) registry.delete(type);
  };
}

/** The schema version events of `type` are read at (and written at): one past its newest upcaster. */
export function latestSchemaVersion(type: string): number {
  const byVersion = registry.get(type);
  if (!byVersion) return CURRENT_SCHEMA_VERSION;
  let latest = CURRENT_SCHEMA_VERSION;
  for (const v of byVersion.keys()) latest = Math.max(latest, v + 1);
  return latest;
}

/**
 * Brings a validated envelope to its type's latest version, one upcaster at a time. A version
 * above the latest is UNSUPPORTED_SCHEMA (an event from a newer build); so is a missing step.
 */
export function upcastEvent(event: EventEnvelope): EventEnvelope {
  const latest = latestSchemaVersion(event.type);
  if (event.schemaVersion > latest) {
    throw msError('UNSUPPORTED_SCHEMA', `event ${event.id} (${event.type}) has schema version ${event.schemaVersion}; this build reads up to ${latest}`, { details: { id: event.id, type: event.type, schemaVersion: event.schemaVersion, latest } });
  }
  if (event.schemaVersion === latest) return event;
  let current = event;
  for (let v = event.schemaVersion; v < latest; v++) {
    const step = registry.get(event.type)?.get(v);
    if (!step) throw msError('UNSUPPORTED_SCHEMA', `event ${event.id} (${event.type}) is at schema version ${v} and no upcaster from ${v} is registered`, { details: { id: event.id, type: event.type, schemaVersion: v, latest } });
    current = { ...current, schemaVersion: v + 1, data: step.upcast(current.data, current) };
  }
  return current;
}
