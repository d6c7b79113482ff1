import type { StateRow } from '@mister-smith/core';
import { HybridLogicalClock, strategyFor } from '@mister-smith/crdt';
import { benchPayload } from './benchPayload.js';

/**
 * `count` state rows over `count / passes` keys (16 keys per agent) with increasing versions:
 * the first pass inserts, the others update, as a write-behind flush of busy agents does.
 * Each row carries the LWW stored form as `stored`, as the store's rows do.
 */
export function benchRows(prefix: string, count: number, passes: number, epoch: number): StateRow[] {
  const keys = Math.max(1, Math.floor(count / passes));
  const strategy = strategyFor('lww');
  const ctx = { writer: 'bench', clock: new HybridLogicalClock('bench') };
  return Array.from({ length: count }, (_, i) => {
    const k = i % keys;
    const value = benchPayload(i);
    return { agentId: `${prefix}${Math.floor(k / 16)}`, stateKey: `k${k % 16}`, value, stored: strategy.prepare(value, ctx, undefined), epoch, seq: i + 1, strategy: 'lww' };
  });
}

/** Splits `rows` into consecutive batches of `size`. */
export function batchesOf<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
