import { unwrapReply } from '@mister-smith/actors';
import { MisterSmithError, msError, type NatsHandle } from '@mister-smith/core';
import { projectorSubject, type ProjectorStatusResult } from '@mister-smith/projector';
import type { ProjectionStatus } from '@mister-smith/projections';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';
import { WebError } from './WebError.js';

/** What the projectors report: per projection, the status of the instance that runs it, and the last rebuilds. */
export interface ProjectorsView {
  /** False when no projector answers in this namespace. */
  readonly running: boolean;
  readonly projections: readonly ProjectionStatus[];
  readonly rebuilds: ProjectorStatusResult['rebuilds'];
}

function noResponders(e: unknown): boolean {
  return e instanceof NoRespondersError || (e instanceof RequestError && (e.isNoResponders() || e.cause instanceof NoRespondersError));
}

/**
 * Asks every projector of the namespace for its status (request/reply on
 * `<ns.>mister-smith.projector.status`) and keeps, per projection, the active instance's answer.
 */
export async function readProjectors(nats: NatsHandle, namespace: string | undefined, maxWaitMs = 1000): Promise<ProjectorsView> {
  const merged = new Map<string, ProjectionStatus>();
  const rebuilds: Record<string, ProjectorStatusResult['rebuilds'][string]> = {};
  try {
    const replies = await nats.nc.requestMany(projectorSubject(namespace, 'status'), '{}', { strategy: 'stall', stall: 150, maxWait: maxWaitMs });
    for await (const m of replies) {
      const result = unwrapReply<ProjectorStatusResult>(m.data);
      for (const s of result.projections) {
        const known = merged.get(s.name);
        if (!known || (!known.active && s.active)) merged.set(s.name, s);
      }
      Object.assign(rebuilds, result.rebuilds);
    }
  } catch (e) {
    if (noResponders(e)) return { running: false, projections: [], rebuilds: {} };
    if (MisterSmithError.is(e)) throw e;
    throw msError('NATS_UNAVAILABLE', `asking the projectors for their status failed: ${(e as Error).message}`, { cause: e });
  }
  return { running: merged.size > 0, projections: [...merged.values()].sort((a, b) => a.name.localeCompare(b.name)), rebuilds };
}

/**
 * Asks the projector that runs `name` to rebuild it and returns at once (`wait: false`); progress
 * shows in its status. NOT_RUNNING when no projector listens; the projector's typed errors
 * (UNKNOWN_PROJECTION, LOCKED) pass through.
 */
export async function requestRebuild(nats: NatsHandle, namespace: string | undefined, name: string, timeoutMs = 10_000): Promise<void> {
  try {
    const reply = await nats.nc.request(projectorSubject(namespace, 'rebuild'), JSON.stringify({ name, wait: false }), { timeout: timeoutMs });
    unwrapReply(reply.data);
  } catch (e) {
    if (noResponders(e)) throw new WebError('NOT_RUNNING', `no projector runs${namespace ? ` in namespace ${namespace}` : ''}: start one with "mister-smith up" or "mister-smith projector"`, { cause: e });
    if (e instanceof TimeoutError || (e instanceof RequestError && e.cause instanceof TimeoutError)) throw msError('TIMEOUT', `the projector did not answer the rebuild of ${name} in time`, { cause: e });
    throw e;
  }
}
