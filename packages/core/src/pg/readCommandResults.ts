import { sql, type Kysely } from 'kysely';
import type { CommandResult, RecordedReply } from '../commands/CommandResult.js';
import { msError } from '../errors/MisterSmithError.js';
import type { Database } from './schema.js';

type Row = Database['mister_smith.command_results'];

function toResult(r: { agent_id: string; command_id: string; digest: string; reply: unknown; version_epoch: number; version: number; recorded_at: Date }): CommandResult {
  return {
    agentId: r.agent_id, commandId: r.command_id, digest: r.digest, reply: r.reply as RecordedReply,
    version: { epoch: Number(r.version_epoch), seq: Number(r.version) }, recordedAt: new Date(r.recorded_at),
  };
}

const failed = (what: string) => (e: unknown) => { throw msError('POSTGRES_UNAVAILABLE', `${what} failed`, { cause: e }); };

/**
 * The command results of one agent recorded since `since` (the dedup window), oldest first: what
 * a new owner loads, before it accepts commands, to answer retried command ids.
 */
export async function loadCommandResults(db: Kysely<Database>, agentId: string, since: Date): Promise<CommandResult[]> {
  const rows = await db.selectFrom('mister_smith.command_results').selectAll()
    .where('agent_id', '=', agentId).where('recorded_at', '>=', since).orderBy('recorded_at').orderBy('version')
    .execute().catch(failed(`loading the command results of ${agentId}`));
  return rows.map((r) => toResult(r as unknown as Row & { reply: unknown }));
}

/**
 * The command results of many agents recorded since `since`, oldest first per agent, in one
 * statement (`agent_id = ANY($1)`); with `prune`, the same statement deletes their results recorded
 * before `since` (a data-modifying CTE: one round trip for what took two per agent). Every
 * requested agent is in the result, with an empty list when it has none.
 */
export async function loadCommandResultsOf(db: Kysely<Database>, agentIds: readonly string[], since: Date, options: { prune?: boolean } = {}): Promise<Map<string, CommandResult[]>> {
  const out = new Map<string, CommandResult[]>();
  for (const id of agentIds) out.set(id, []);
  if (agentIds.length === 0) return out;
  const ids = [...out.keys()];
  const prune = options.prune === true ? sql`WITH pruned AS (DELETE FROM mister_smith.command_results WHERE agent_id = ANY(${ids}::text[]) AND recorded_at < ${since}) ` : sql``;
  const { rows } = await sql<Row & { reply: unknown }>`${prune}SELECT * FROM mister_smith.command_results WHERE agent_id = ANY(${ids}::text[]) AND recorded_at >= ${since} ORDER BY recorded_at, version`
    .execute(db).catch(failed(`loading the command results of ${agentIds.length} agents`));
  for (const r of rows) out.get(r.agent_id)?.push(toResult(r));
  return out;
}

/**
 * The recorded result of one command id, or undefined when PostgreSQL has none. Only flushed
 * commands are here: the agent's owner also knows those still in the stream, so ask the owner
 * (a retried command) for an authoritative answer.
 */
export async function findCommandResult(db: Kysely<Database>, agentId: string, commandId: string): Promise<CommandResult | undefined> {
  const r = await db.selectFrom('mister_smith.command_results').selectAll()
    .where('agent_id', '=', agentId).where('command_id', '=', commandId)
    .executeTakeFirst().catch(failed(`reading command ${commandId} of ${agentId}`));
  return r ? toResult(r as unknown as Row & { reply: unknown }) : undefined;
}

/** Deletes command results recorded before `before` (of one agent, or all); returns how many. */
export async function pruneCommandResults(db: Kysely<Database>, before: Date, agentId?: string): Promise<number> {
  let q = db.deleteFrom('mister_smith.command_results').where('recorded_at', '<', before);
  if (agentId !== undefined) q = q.where('agent_id', '=', agentId);
  const r = await q.executeTakeFirst().catch(failed('pruning command results'));
  return Number(r.numDeletedRows ?? 0n);
}
