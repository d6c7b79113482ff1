import { namespacedSubject, msError, type NatsHandle } from '@mister-smith/core';
import { unwrapReply } from '@mister-smith/actors';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';
import { CliError } from '../cli/CliError.js';

/** The services that answer request/reply on `<ns.>mister-smith.<service>.<op>`. */
export type ServiceName = 'supervisor' | 'projector';

const HINT: Record<ServiceName, string> = {
  supervisor: 'start one with "mister-smith up" or "mister-smith supervisor"',
  projector: 'start one with "mister-smith up" or "mister-smith projector"',
};

/** The subject of a service operation: `<ns.>mister-smith.<service>.<op>`. */
export function serviceSubject(namespace: string | undefined, service: ServiceName, op: string): string {
  return namespacedSubject(namespace, `mister-smith.${service}.${op}`);
}

function noResponders(e: unknown): boolean {
  return e instanceof NoRespondersError || (e instanceof RequestError && (e.isNoResponders() || e.cause instanceof NoRespondersError));
}

function timedOut(e: unknown): boolean {
  return e instanceof TimeoutError || (e instanceof RequestError && e.cause instanceof TimeoutError);
}

/**
 * Sends one JSON request to a service and returns its result, or throws the typed error of an
 * `{ ok: false, error }` reply. NO_SUPERVISOR (with a hint) when nobody answers.
 *
 * @example
 * const agents = await requestService<AgentListing[]>(nats, ns, 'supervisor', 'list', { state: 'ACTIVE' });
 */
export async function requestService<T>(nats: NatsHandle, namespace: string | undefined, service: ServiceName, op: string, body: unknown, timeoutMs = 30_000): Promise<T> {
  const subject = serviceSubject(namespace, service, op);
  let data: Uint8Array;
  try {
    const reply = await nats.nc.request(subject, new TextEncoder().encode(JSON.stringify(body ?? {})), { timeout: timeoutMs });
    data = reply.data;
  } catch (e) {
    if (noResponders(e)) {
      throw new CliError('NOT_RUNNING', `no ${service} is running${namespace ? ` in namespace ${namespace}` : ''} (nobody answers ${subject}): ${HINT[service]}`, { cause: e });
    }
    if (timedOut(e)) throw msError('TIMEOUT', `the ${service} did not answer ${op} within ${Math.round(timeoutMs / 1000)} s`, { cause: e });
    throw msError('NATS_UNAVAILABLE', `request ${subject} failed: ${(e as Error).message}`, { cause: e });
  }
  return unwrapReply<T>(data);
}
