import { frameworkTransaction, type Database } from '@mister-smith/core';
import { sql, type Kysely, type Transaction } from 'kysely';
import { agentLogicalSubjects } from './agentSubjects.js';

/** Rows removed per table (`schema.table` -> count). */
export type RowCounts = Record<string, number>;

// Tables handled by name below; every other table with an `agent_id` column is swept generically.
const NAMED = new Set([
  'mister_smith.event_archive', 'mister_smith.outbox', 'mister_smith.outbox_payloads', 'mister_smith.dead_letters',
  'mister_smith.task_view', 'tasks.queue', 'mister_smith.erased_agents',
]);

/** The ids of the agent's tasks (`tasks.queue` and the task view), whose events are the agent's too. */
export async function agentTaskIds(db: Kysely<Database>, agentId: string): Promise<string[]> {
  const r = await sql<{ task_id: string }>`
    SELECT task_id::text AS task_id FROM tasks.queue WHERE assigned_agent_id = ${agentId}
    UNION SELECT task_id::text FROM mister_smith.task_view WHERE assigned_agent_id = ${agentId}`.execute(db);
  return r.rows.map((x) => x.task_id);
}

/**
 * Deletes every PostgreSQL row of one agent in one framework transaction (so the outbox triggers
 * stay quiet): archive rows of its subjects and its tasks' subjects (blanked to `$erased`
 * placeholders that keep their stream position), outbox rows and their large
 * payloads, dead letters, its tasks, then every table in the `agents`, `tasks` and `mister_smith`
 * schemas that has an `agent_id` column (state, registry, and whatever later features add: command
 * records, timers, waits, snapshots). Returns the count per table (tables with none omitted).
 */
export async function deleteAgentRows(db: Kysely<Database>, agentId: string, taskIds: readonly string[]): Promise<RowCounts> {
  return frameworkTransaction(db, async (trx) => {
    const counts: RowCounts = {};
    const run = async (table: string, q: ReturnType<typeof sql>) => {
      const r = await q.execute(trx);
      const n = Number(r.numAffectedRows ?? 0n);
      if (n > 0) counts[table] = (counts[table] ?? 0) + n;
    };
    const subjects = agentLogicalSubjects(agentId);
    const taskSubject = sql`(subject LIKE 'tasks.%' AND split_part(subject, '.', 3) = ANY(${[...taskIds]}::text[]))`;
    // Archive rows are blanked in place, not deleted: the archive stays contiguous, so a rebuild
    // still accepts it (it skips `$erased` rows), and nothing of the agent is left in them.
    await run('mister_smith.event_archive', sql`
      UPDATE mister_smith.event_archive SET subject = '$erased', event_type = '$erased', agent_id = NULL,
        event_id = '00000000-0000-0000-0000-000000000000', envelope = '{"$erased": true}'::jsonb
      WHERE event_type <> '$erased' AND (agent_id = ${agentId} OR subject = ANY(${subjects}::text[]) OR split_part(subject, '.', 1) = 'messages' AND split_part(subject, '.', 3) = ${agentId} OR ${taskSubject})`);
    const outboxIds = await sql<{ id: number }>`
      DELETE FROM mister_smith.outbox
      WHERE payload->>'agent_id' = ${agentId} OR payload->>'assigned_agent_id' = ${agentId} OR subject = ANY(${subjects}::text[]) OR ${taskSubject}
      RETURNING id`.execute(trx);
    if (outboxIds.rows.length > 0) counts['mister_smith.outbox'] = outboxIds.rows.length;
    await run('mister_smith.outbox_payloads', sql`DELETE FROM mister_smith.outbox_payloads WHERE outbox_id = ANY(${outboxIds.rows.map((r) => r.id)}::bigint[]) OR subject = ANY(${subjects}::text[]) OR ${taskSubject}`);
    await run('mister_smith.dead_letters', sql`DELETE FROM mister_smith.dead_letters WHERE subject = ANY(${subjects}::text[]) OR split_part(subject, '.', 1) = 'messages' AND split_part(subject, '.', 3) = ${agentId} OR ${taskSubject}`);
    await run('mister_smith.task_view', sql`DELETE FROM mister_smith.task_view WHERE assigned_agent_id = ${agentId} OR task_id::text = ANY(${[...taskIds]}::text[])`);
    await run('tasks.queue', sql`DELETE FROM tasks.queue WHERE assigned_agent_id = ${agentId} OR task_id::text = ANY(${[...taskIds]}::text[])`);
    for (const table of await tablesWithAgentId(trx)) {
      if (NAMED.has(table)) continue;
      const [schema, name] = table.split('.') as [string, string];
      await run(table, sql`DELETE FROM ${sql.id(schema, name)} WHERE agent_id = ${agentId}`);
    }
    return counts;
  });
}

async function tablesWithAgentId(trx: Transaction<Database>): Promise<string[]> {
  const r = await sql<{ t: string }>`
    SELECT c.table_schema || '.' || c.table_name AS t FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
    WHERE c.column_name = 'agent_id' AND c.table_schema IN ('agents', 'tasks', 'mister_smith') ORDER BY 1`.execute(trx);
  return r.rows.map((x) => x.t);
}
