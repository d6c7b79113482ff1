import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Indexes of the agent runtime (durable timers and human-in-the-loop waits).
 *
 * The agent's own state (reserved key `_runtime`, written through the owner like every other key)
 * is the truth; these tables are indexes the owner writes before it commits a timer or a wait, so
 * that the namespace scheduler can find due timers of COLD agents (`due_at` index) and
 * `agents list --waiting` can list pending requests across the fleet. A row whose timer the state
 * no longer holds is dropped when it fires.
 */
export const agentRuntimeMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE mister_smith.agent_timers (
        agent_id text NOT NULL,
        timer_id text NOT NULL,
        agent_type text NOT NULL,
        due_at timestamptz NOT NULL,
        spec jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, timer_id)
      )`.execute(db);
    await sql`CREATE INDEX agent_timers_due_idx ON mister_smith.agent_timers (due_at)`.execute(db);
    await sql`
      CREATE TABLE mister_smith.agent_waits (
        agent_id text NOT NULL,
        request_id text NOT NULL,
        agent_type text NOT NULL,
        payload jsonb,
        deadline timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, request_id)
      )`.execute(db);
    await sql`CREATE INDEX agent_waits_created_idx ON mister_smith.agent_waits (created_at)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE IF EXISTS mister_smith.agent_waits`.execute(db);
    await sql`DROP TABLE IF EXISTS mister_smith.agent_timers`.execute(db);
  },
};
