import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `mister_smith.command_results`: the durable record of every command an agent's owner ran, so a
 * retried command id gets its first reply from any later owner (after a takeover, a passivation or
 * a restart) instead of running twice. One row per (agent, command id): the payload digest (a
 * retry with another payload is an IDEMPOTENCY_CONFLICT), the reply, and the version of the event
 * that recorded it. Written in the transaction that writes the command's state rows (the owner's
 * flush, or the agent-state projection), so `agents.state`'s head for an agent never passes a
 * command whose row is missing. Rows older than the dedup window (default 24 h) are pruned.
 */
export const commandResultsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE mister_smith.command_results (
        agent_id text NOT NULL,
        command_id text NOT NULL,
        digest text NOT NULL,
        reply jsonb NOT NULL,
        version_epoch bigint NOT NULL,
        version bigint NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (agent_id, command_id)
      )`.execute(db);
    await sql`CREATE INDEX command_results_recorded_idx ON mister_smith.command_results (agent_id, recorded_at)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE IF EXISTS mister_smith.command_results`.execute(db);
  },
};
