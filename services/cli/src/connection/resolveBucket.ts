import type { Topology } from '@mister-smith/core';

const ALIASES: Readonly<Record<string, keyof Topology['buckets']>> = {
  session: 'session', 'session-data': 'session',
  'agent-state': 'agentState',
  'agent-config': 'agentConfig',
  'query-cache': 'queryCache',
  'agent-leases': 'agentLeases', leases: 'agentLeases',
};

/**
 * The bucket a user means: an alias (`session`, `agent-state`, `agent-config`, `query-cache`,
 * `agent-leases`, or the seed's `AGENT_STATE` spelling) is the namespaced bucket of the topology;
 * anything else is taken as a raw bucket name.
 */
export function resolveBucket(topology: Topology, name: string): { bucket: string; alias: keyof Topology['buckets'] | undefined } {
  const norm = name.toLowerCase().replace(/_/g, '-');
  const alias = ALIASES[norm];
  return alias ? { bucket: topology.buckets[alias].bucket, alias } : { bucket: name, alias: undefined };
}

/** The names `resolveBucket` understands, for help texts. */
export const BUCKET_ALIASES = 'session | agent-state | agent-config | query-cache | agent-leases | a raw bucket name';
