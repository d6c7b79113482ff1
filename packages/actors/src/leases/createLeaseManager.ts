import { setMaxListeners } from 'node:events';
import { assertAgentId, MisterSmithError, msError, silentLogger, type KvStore, type Logger } from '@mister-smith/core';
import type { LeaseLossReason, LeaseManager, LeaseOwner } from './LeaseManager.js';
import { mapLimit, sleep } from '@mister-smith/core/util';

/** Options of `createLeaseManager`. */
export interface LeaseManagerOptions {
  /** The AGENT_LEASES bucket. */
  readonly kv: KvStore;
  readonly supervisorId: string;
  /** Lease duration: the bucket's TTL. */
  readonly ttlMs: number;
  /** Renewal period (default a third of the TTL). */
  readonly renewIntervalMs?: number;
  /** Concurrent KV updates per renewal round (default 64). */
  readonly concurrency?: number;
  readonly logger?: Logger;
}

/** A held lease; a class keeps the per-agent footprint small. */
class Held {
  constructor(public revision: number, public readonly acquiredAt: string, public renewedAt: number) {}
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function parseOwner(value: Uint8Array, revision: number): LeaseOwner | undefined {
  try {
    const o = JSON.parse(decoder.decode(value)) as Partial<LeaseOwner>;
    if (typeof o?.supervisorId === 'string' && typeof o.acquiredAt === 'string') return { supervisorId: o.supervisorId, acquiredAt: o.acquiredAt, revision };
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
  }
  return undefined;
}

/**
 * Creates the lease manager of one supervisor (see {@link LeaseManager}). One timer renews
 * every held lease per round; a lease whose update fails with a revision conflict, or that
 * could not be renewed for a whole TTL, is reported lost.
 *
 * @example
 * const leases = createLeaseManager({ kv: await env.bucket('agentLeases'), supervisorId: 's1', ttlMs: 15_000 });
 * const { revision } = await leases.acquire('agent-1');
 */
export function createLeaseManager(options: LeaseManagerOptions): LeaseManager {
  const { kv, supervisorId, ttlMs } = options;
  const renewIntervalMs = options.renewIntervalMs ?? Math.max(1, Math.floor(ttlMs / 3));
  const concurrency = options.concurrency ?? 64;
  const logger = options.logger ?? silentLogger();
  const held = new Map<string, Held>();
  const listeners = new Set<(agentId: string, reason: LeaseLossReason) => void>();
  const stopSignal = new AbortController();
  // Every waitUntilFree in flight (one per command routed to a busy agent) sleeps on it, each removing
  // its listener when done: no bound on how many at once.
  setMaxListeners(0, stopSignal.signal);
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  const valueOf = (acquiredAt: string) => encoder.encode(JSON.stringify({ supervisorId, acquiredAt }));

  function lost(agentId: string, reason: LeaseLossReason): void {
    logger.warn({ agentId, reason }, 'agent lease lost');
    for (const l of listeners) l(agentId, reason);
  }

  function schedule(): void {
    if (timer || round || stopping || held.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      round = renewAll()
        .catch((e: unknown) => logger.error({ err: e }, 'lease renewal round failed'))
        .finally(() => { round = undefined; schedule(); });
    }, renewIntervalMs);
  }

  async function renewOne(agentId: string, rec: Held): Promise<void> {
    try {
      const revision = await kv.update(agentId, valueOf(rec.acquiredAt), rec.revision);
      if (held.get(agentId) === rec) { rec.revision = revision; rec.renewedAt = Date.now(); }
      else await kv.delete(agentId, { revision }).catch((e: unknown) => logger.debug({ err: e, agentId }, 'lease released during renewal was already replaced'));
    } catch (e) {
      if (held.get(agentId) !== rec) return;
      if (MisterSmithError.is(e, 'REVISION_CONFLICT')) {
        held.delete(agentId);
        // Only to name the reason: the loss is reported either way, so a failed read says 'expired'.
        const now = await manager.owner(agentId).catch((err: unknown) => { logger.debug({ err, agentId }, 'could not read who holds a lost lease'); return undefined; });
        lost(agentId, now && now.supervisorId !== supervisorId ? 'taken' : 'expired');
        return;
      }
      logger.warn({ err: e, agentId }, 'lease renewal failed; retrying next round');
      if (Date.now() - rec.renewedAt >= ttlMs) {
        held.delete(agentId);
        lost(agentId, 'unrenewable');
      }
    }
  }

  async function renewAll(): Promise<void> {
    await mapLimit([...held], concurrency, ([agentId, rec]) => renewOne(agentId, rec));
  }

  const manager: LeaseManager = {
    supervisorId,
    ttlMs,
    async acquire(agentId) {
      assertAgentId(agentId);
      if (stopping) throw msError('CLOSED', `the lease manager of ${supervisorId} is stopped`);
      // Create first: a free lease (the common case) costs one round trip.
      try {
        const acquiredAt = new Date().toISOString();
        const revision = await kv.create(agentId, valueOf(acquiredAt));
        held.set(agentId, new Held(revision, acquiredAt, Date.now()));
        schedule();
        return { agentId, revision };
      } catch (e) {
        if (!MisterSmithError.is(e, 'REVISION_CONFLICT')) throw e;
      }
      for (let attempt = 1; ; attempt++) {
        const cur = await kv.get(agentId);
        const owner = cur ? parseOwner(cur.value, cur.revision) : undefined;
        if (owner && owner.supervisorId !== supervisorId) {
          throw msError('NOT_OWNER', `agent ${agentId} is owned by supervisor ${owner.supervisorId}`, { details: { agentId, owner: owner.supervisorId } });
        }
        const acquiredAt = owner?.acquiredAt ?? new Date().toISOString();
        try {
          // Our own lease (a re-activation) is renewed; a corrupt value (no owner) is taken over.
          const revision = cur ? await kv.update(agentId, valueOf(acquiredAt), cur.revision) : await kv.create(agentId, valueOf(acquiredAt));
          held.set(agentId, new Held(revision, acquiredAt, Date.now()));
          schedule();
          return { agentId, revision };
        } catch (e) {
          if (!MisterSmithError.is(e, 'REVISION_CONFLICT') || attempt >= 3) throw e;
        }
      }
    },
    async owner(agentId) {
      const cur = await kv.get(assertAgentId(agentId));
      return cur ? parseOwner(cur.value, cur.revision) : undefined;
    },
    holds: (agentId) => held.has(agentId),
    async release(agentId) {
      const rec = held.get(agentId);
      if (!rec) return;
      held.delete(agentId);
      try {
        await kv.delete(agentId, { revision: rec.revision });
      } catch (e) {
        if (!MisterSmithError.is(e, 'REVISION_CONFLICT')) throw e;
        // A renewal may have moved the revision on; delete only if the lease is still ours and
        // not re-acquired meanwhile (a new activation of the same agent).
        const now = await manager.owner(agentId);
        if (now?.supervisorId === supervisorId && !held.has(agentId)) {
          await kv.delete(agentId, { revision: now.revision }).catch((e2: unknown) => {
            if (!MisterSmithError.is(e2, 'REVISION_CONFLICT')) throw e2;
            logger.debug({ agentId }, 'lease changed while releasing; it expires on its own');
          });
        }
      }
    },
    async waitUntilFree(agentId, maxWaitMs) {
      const step = Math.min(1000, Math.max(50, Math.floor(ttlMs / 6)));
      const deadline = Date.now() + maxWaitMs;
      for (;;) {
        const o = await manager.owner(agentId);
        if (!o || o.supervisorId === supervisorId || Date.now() >= deadline || stopSignal.signal.aborted) return o;
        await sleep(Math.min(step, Math.max(0, deadline - Date.now())), stopSignal.signal);
      }
    },
    onLost(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get size() { return held.size; },
    stop() {
      stopping ??= (async () => {
        stopSignal.abort();
        if (timer) clearTimeout(timer);
        timer = undefined;
        await round;
        const failures: unknown[] = [];
        await mapLimit([...held.keys()], concurrency, (id) => manager.release(id).catch((e: unknown) => { failures.push(e); }));
        held.clear();
        if (failures.length > 0) logger.warn({ count: failures.length, err: failures[0] }, 'some leases could not be released; they expire after the lease TTL');
      })();
      return stopping;
    },
    [Symbol.asyncDispose]: () => manager.stop(),
  };
  return manager;
}
