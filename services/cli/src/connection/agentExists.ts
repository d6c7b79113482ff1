import { JetStreamKvStore, jsApiCode, JsCodes, namespacedSubject, classifyNatsError } from '@mister-smith/core';
import type { Clients } from './openClients.js';

/**
 * Whether anything knows the agent: a live AGENT_STATE KV key, a state or lifecycle event still in
 * the AGENT_STATE stream, or (when PostgreSQL is configured) a registry or state row. Commands use
 * it to tell "unknown agent" from "nothing to show".
 */
export async function agentExists(c: Clients, agentId: string): Promise<boolean> {
  const kv = await JetStreamKvStore.open(c.nats, c.topology.buckets.agentState.bucket);
  if ((await kv.keys(`${agentId}.>`)).length > 0) return true;
  const stream = c.topology.streams.agentState.name;
  for (const family of ['state', 'lifecycle']) {
    try {
      if (await c.nats.jsm.streams.getMessage(stream, { last_by_subj: namespacedSubject(c.topology.namespace, `agents.${family}.${agentId}`) })) return true;
    } catch (e) {
      if (jsApiCode(e) !== JsCodes.messageNotFound) throw classifyNatsError(e, `reading ${stream}`);
    }
  }
  const pg = await c.optionalPg();
  if (pg) {
    const { db } = pg;
    if (await db.selectFrom('agents.registry').select('agent_id').where('agent_id', '=', agentId).executeTakeFirst()) return true;
    if (await db.selectFrom('agents.state').select('agent_id').where('agent_id', '=', agentId).limit(1).executeTakeFirst()) return true;
  }
  return false;
}
