/**
 * Lock names of the projections. The lock itself is core's `SessionLock` (the one election helper
 * the runner, the rebuild, the outbox bridge and the timer scheduler share).
 */

/** The lock a projection's one active runner holds (and a rebuild without a live runner takes). */
export function projectionLockKey(projection: string): string {
  return `mister_smith.projection:${projection}`;
}

/** The lock a rebuild of `projection` holds for its whole run: two rebuilds of one projection never overlap, on any instance. */
export function rebuildLockKey(projection: string): string {
  return `mister_smith.rebuild:${projection}`;
}
