import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Tables of the projections feature.
 *
 * - `mister_smith.task_view`: the task projection's read model (one row per task, the state of its
 *   latest TASK_EXECUTION event). `tasks.queue` stays the source of truth; projections never write it.
 * - `mister_smith.dead_letters` gains `epoch` and `attempts`, and a unique position per source, so a
 *   replayed poison event (restart, rebuild) is recorded once.
 */
export const projectionsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE mister_smith.task_view (
        task_id uuid PRIMARY KEY,
        task_type text NOT NULL,
        status text NOT NULL,
        previous_status text,
        assigned_agent_id text,
        priority integer NOT NULL DEFAULT 0,
        attempts integer NOT NULL DEFAULT 0,
        payload jsonb,
        result jsonb,
        error text,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        last_event_type text NOT NULL,
        created_at timestamptz,
        changed_at timestamptz NOT NULL,
        version_epoch bigint NOT NULL,
        version_seq bigint NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX task_view_status_idx ON mister_smith.task_view (status, priority DESC)`.execute(db);
    await sql`CREATE INDEX task_view_agent_idx ON mister_smith.task_view (assigned_agent_id) WHERE assigned_agent_id IS NOT NULL`.execute(db);
    await sql`ALTER TABLE mister_smith.dead_letters ADD COLUMN epoch bigint, ADD COLUMN attempts integer NOT NULL DEFAULT 1`.execute(db);
    await sql`CREATE UNIQUE INDEX dead_letters_position_idx ON mister_smith.dead_letters (source, stream, epoch, seq)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP INDEX IF EXISTS mister_smith.dead_letters_position_idx`.execute(db);
    await sql`ALTER TABLE mister_smith.dead_letters DROP COLUMN IF EXISTS epoch, DROP COLUMN IF EXISTS attempts`.execute(db);
    await sql`DROP TABLE IF EXISTS mister_smith.task_view`.execute(db);
  },
};
