import { MisterSmithError, msError, type NatsHandle, type Topology } from '@mister-smith/core';
import { unwrapReply } from '@mister-smith/actors';
import { projectorSubject, type ProjectorStatusResult } from '@mister-smith/projector';
import type { ProjectionStatus } from '@mister-smith/projections';
import { NoRespondersError, RequestError } from '@nats-io/nats-core';
import { requestService } from './requestService.js';

type Conn = { readonly nats: NatsHandle; readonly topology: Topology };

/**
 * Every running projector answers `status`, each for its own instance (a standby one reports its
 * projections as `standby`). Collects the replies for a moment and keeps, per projection, the
 * status of the instance that runs it (`active`). Undefined when no projector answers.
 */
export async function projectorStatuses(c: Conn, maxWaitMs = 2000): Promise<ProjectionStatus[] | undefined> {
  const merged = new Map<string, ProjectionStatus>();
  try {
    const replies = await c.nats.nc.requestMany(projectorSubject(c.topology.namespace, 'status'), '{}', { strategy: 'stall', stall: 250, maxWait: maxWaitMs });
    for await (const m of replies) {
      const result = unwrapReply<ProjectorStatusResult>(m.data);
      for (const s of result.projections) {
        const known = merged.get(s.name);
        if (!known || (!known.active && s.active)) merged.set(s.name, s);
      }
    }
  } catch (e) {
    if (e instanceof NoRespondersError || (e instanceof RequestError && e.isNoResponders())) return undefined;
    if (MisterSmithError.is(e)) throw e;
    throw msError('NATS_UNAVAILABLE', `asking the projectors for their status failed: ${(e as Error).message}`, { cause: e });
  }
  return merged.size === 0 ? undefined : [...merged.values()];
}

/**
 * Sends a command (`pause`, `resume`, `rebuild`) to the projector that runs the projection; only
 * that instance answers. NOT_RUNNING when no projector listens.
 */
export function callProjector<T>(c: Conn, verb: 'pause' | 'resume' | 'rebuild', body: Record<string, unknown>, timeoutMs?: number): Promise<T> {
  return requestService<T>(c.nats, c.topology.namespace, 'projector', verb, body, timeoutMs);
}

