import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * The ids among `agentIds` that were erased (`mister_smith.erased_agents`). Readers that write read
 * models (projections, the bridge) drop everything of these agents, so nothing brings one back.
 *
 * @example
 * const gone = await erasedAmong(trx, ['a1', 'a2']); // Set { 'a2' } after `eraseAgent('a2')`
 */
export async function erasedAmong(db: Kysely<Database>, agentIds: Iterable<string>): Promise<Set<string>> {
  const ids = [...new Set(agentIds)];
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('mister_smith.erased_agents').select('agent_id').where('agent_id', 'in', ids).execute();
  return new Set(rows.map((r) => r.agent_id));
}

/**
 * The agent a logical subject is about: `agents.{state,lifecycle}.<id>`, and messages addressed by
 * agent (`messages.<direct|broadcast|notification>.<id>[.…]`, the third token).
 */
export function agentOfSubject(subject: string): string | undefined {
  const t = subject.split('.');
  if (t[0] === 'agents' && (t[1] === 'state' || t[1] === 'lifecycle') && t.length === 3) return t[2];
  if (t[0] === 'messages' && t.length >= 3) return t[2];
  return undefined;
}
