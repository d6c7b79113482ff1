import { sql, type Kysely } from 'kysely';
import type { CommandResult } from '../commands/CommandResult.js';
import type { Database } from './schema.js';

/**
 * Writes command results to `mister_smith.command_results` in one statement. The first record of a
 * (agent, command id) wins: a replay, a second flush or the projection writing the same event
 * again changes nothing. Run it in the transaction that writes the commands' state rows, so
 * `agents.state` never moves past a command whose record is missing.
 */
export async function recordCommandResults(db: Kysely<Database>, results: readonly CommandResult[]): Promise<number> {
  if (results.length === 0) return 0;
  const payload = JSON.stringify(results.map((r) => ({
    a: r.agentId, c: r.commandId, d: r.digest, r: r.reply, e: r.version.epoch, q: r.version.seq, t: r.recordedAt.toISOString(),
  })));
  const res = await sql`
    INSERT INTO mister_smith.command_results (agent_id, command_id, digest, reply, version_epoch, version, recorded_at)
    SELECT a, c, d, r, e, q, t FROM jsonb_to_recordset(${payload}::jsonb) AS u(a text, c text, d text, r jsonb, e bigint, q bigint, t timestamptz)
    ON CONFLICT (agent_id, command_id) DO NOTHING
  `.execute(db);
  return Number(res.numAffectedRows ?? 0n);
}
