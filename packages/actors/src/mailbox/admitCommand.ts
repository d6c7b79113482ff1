import { msError, MisterSmithError } from '@mister-smith/core';
import type { MailboxPolicy } from '../agentTypes/AgentType.js';

/** What happens to a command arriving at an agent's mailbox. */
export type Admission =
  | { readonly kind: 'enqueue' }
  /** Enqueue it, and interrupt what is queued and running before it. */
  | { readonly kind: 'interrupt' }
  | { readonly kind: 'refuse'; readonly error: MisterSmithError };

/**
 * The mailbox decision for one arriving command, from the agent type's policy and the agent's
 * queue (`queued` counts the running command too, when `busy`). Pure.
 */
export function admitCommand(agentId: string, policy: Required<MailboxPolicy>, queued: number, busy: boolean): Admission {
  const waiting = Math.max(0, queued - (busy ? 1 : 0));
  switch (policy.policy) {
    case 'reject':
      return queued > 0
        ? { kind: 'refuse', error: msError('BUSY', `agent ${agentId} is running a command and its mailbox policy is "reject": retry later`, { details: { agentId, queued } }) }
        : { kind: 'enqueue' };
    case 'interrupt':
      return queued > 0 ? { kind: 'interrupt' } : { kind: 'enqueue' };
    default:
      return waiting >= policy.maxQueue
        ? { kind: 'refuse', error: msError('BACKPRESSURE', `agent ${agentId} has ${waiting} commands queued (its mailbox holds ${policy.maxQueue}): slow down and retry`, { details: { agentId, queued: waiting, maxQueue: policy.maxQueue } }) }
        : { kind: 'enqueue' };
  }
}

/** The error of commands dropped or stopped by a newer one under the `interrupt` policy. */
export function interruptedError(agentId: string): MisterSmithError {
  return msError('INTERRUPTED', `a newer command to agent ${agentId} interrupted this one (mailbox policy "interrupt")`, { details: { agentId } });
}
