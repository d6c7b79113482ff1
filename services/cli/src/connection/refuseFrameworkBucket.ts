import { msError, type Topology } from '@mister-smith/core';

/**
 * Buckets that only the framework writes: an agent's state is an event first (KV is its cache) and
 * a lease is the owner's; a raw write there would bypass the event log or the fencing.
 */
export function refuseFrameworkBucket(topology: Topology, bucket: string, what: string): void {
  if (bucket === topology.buckets.agentState.bucket) {
    throw msError('INVALID_ARGUMENT', `${bucket} is written only through the state plane (each value is an event first): ${what} agent state with "mister-smith agents set" instead`);
  }
  if (bucket === topology.buckets.agentLeases.bucket) {
    throw msError('INVALID_ARGUMENT', `${bucket} holds the supervisors' leases, which only their owners write: stop the agent with "mister-smith agents stop" instead`);
  }
}
