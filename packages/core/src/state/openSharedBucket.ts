import {
  applyWrite, describeOutcome, parseStored, resolveStrategy, strategyFor,
  type ConflictStrategy, type HybridLogicalClock, type StoredValue, type StrategySpec,
} from '@mister-smith/crdt';
import { assertKvKey } from '../config/identifiers.js';
import { msError } from '../errors/MisterSmithError.js';
import type { KvStore } from '../kv/KvStore.js';
import type { StrategyName } from './stateEvents.js';
import type { ConflictNotice, SharedStateBucket } from './StateStore.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses a shared-bucket entry `{ strategy, stored }`; CORRUPT_ENTRY naming the key otherwise. */
function parseEntry(bucket: string, key: string, bytes: Uint8Array): StoredValue {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw msError('CORRUPT_ENTRY', `${bucket}/${key} is not JSON`, { cause: e, details: { bucket, key } });
  }
  try {
    return parseStored((raw as { stored?: unknown } | null)?.stored);
  } catch (e) {
    throw msError('CORRUPT_ENTRY', `${bucket}/${key} is not a valid stored value: ${(e as Error).message}`, { cause: e, details: { bucket, key } });
  }
}

/**
 * `saveState` / `getState` over a bucket without an owner: read the entry and its revision,
 * merge with the key's strategy, write with the expected revision, and on a lost race merge the
 * prepared write into the newer entry (never re-preparing it), with bounded jittered retries.
 */
export function openSharedBucket(kv: KvStore, deps: { writerId: string; clock: HybridLogicalClock; strategies?: StrategySpec | undefined; onConflict: (n: ConflictNotice) => void }): SharedStateBucket {
  const strategyOf = (key: string, choice?: StrategyName | ConflictStrategy): ConflictStrategy =>
    choice === undefined ? resolveStrategy(deps.strategies, key) : typeof choice === 'string' ? strategyFor(choice) : choice;
  return {
    bucket: kv.bucket,
    async saveState(key, input, options = {}) {
      assertKvKey(key);
      const strategy = strategyOf(key, options.strategy);
      const writer = options.writer ?? deps.writerId;
      let next: StoredValue | undefined;
      let merged = false;
      // Reported once, after the write commits: a save that loses several races merges several times.
      let outcome: string | undefined;
      const r = await kv.cas(key, (current) => {
        const cur = current ? parseEntry(kv.bucket, key, current.value) : undefined;
        if (cur && cur.s !== strategy.name) {
          throw msError('INVALID_ARGUMENT', `${kv.bucket}/${key} holds a ${cur.s} value; it cannot be written with ${strategy.name}`, { details: { key, stored: cur.s, requested: strategy.name } });
        }
        if (next === undefined) {
          next = applyWrite(strategy, input, { writer, clock: deps.clock }, cur);
        } else if (cur) {
          const m = strategy.merge(cur, next);
          const o = describeOutcome(cur, next, m);
          if (o !== 'took-incoming' && o !== 'unchanged') {
            merged = true;
            outcome = o;
          }
          next = m;
        }
        return encoder.encode(JSON.stringify({ strategy: strategy.name, stored: next }));
      }, { maxAttempts: options.maxAttempts ?? 50, backoffMs: 2 });
      if (outcome !== undefined && r.written) deps.onConflict({ agentId: '-', key: `${kv.bucket}/${key}`, strategy: strategy.name, writers: [writer], outcome });
      return { value: strategy.read(next as StoredValue), revision: r.revision ?? 0, attempts: r.attempts, merged };
    },
    async getState(key) {
      const item = await kv.get(key);
      if (!item) return undefined;
      const stored = parseEntry(kv.bucket, key, item.value);
      const s = strategyOf(key);
      return (s.name === stored.s ? s : strategyFor(stored.s)).read(stored);
    },
    async deleteState(key) {
      await kv.delete(key);
    },
  };
}
