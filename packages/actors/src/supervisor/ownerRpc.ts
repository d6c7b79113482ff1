import { namespacedSubject } from '@mister-smith/core';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';

/** Subject on which a supervisor serves requests forwarded by its peers (commands for agents it owns). */
export function ownerSubject(namespace: string | undefined, supervisorId: string): string {
  return namespacedSubject(namespace, `mister-smith.owner.${supervisorId}`);
}

/** A request forwarded to the owner of an agent. */
export type OwnerRequest =
  | { readonly op: 'command'; readonly agentId: string; readonly command: string; readonly payload?: unknown; readonly commandId?: string; readonly base?: { epoch: number; seq: number } }
  | { readonly op: 'activate'; readonly agentId: string }
  | { readonly op: 'get'; readonly agentId: string; readonly key?: string }
  | { readonly op: 'stop'; readonly agentId: string };

/** Whether a forwarded request failed because nobody answers (owner dead or paused), not with a reply. */
export function isUnreachable(e: unknown): boolean {
  if (e instanceof NoRespondersError || e instanceof TimeoutError) return true;
  if (e instanceof RequestError) {
    return e.isNoResponders() || e.cause instanceof TimeoutError || e.cause instanceof NoRespondersError;
  }
  return false;
}
